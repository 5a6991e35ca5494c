// Fixed private keys for the JWT harness: signing mutated claims with a key the verifier holds
// reaches the claim checks, and a fixed key keeps every crash input reproducible. Made with
// `openssl genpkey` for this harness only; never used anywhere else.
#pragma once

namespace carehub::fuzz {

inline constexpr const char* kEd25519Pem = R"(
-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIP6WhTdQLvT1bgDhoVaiRTwWL4GinOHM82Q2Kz6WBH08
-----END PRIVATE KEY-----
)";

inline constexpr const char* kP256Pem = R"(
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMoraI3pc7DeTVwGV
l1mFH39J+KYVvrju2Fzdc7df7cKhRANCAAT2hTZ8mFd33N5WjX1/voCZY7Ln1h5u
Td7RrCD7LcKHPeGssAPwGFxJrt0JTMUM5rupVFq3us15xTNahPPNz5sX
-----END PRIVATE KEY-----
)";

inline constexpr const char* kRsa2048Pem = R"(
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCF+rZAxEKR3liZ
YFtyV67mc0tEFrUwzx4I8CGNlWpbWcER2YD+DSveOUjhK7BwIlj4sZ45u6X5EvOR
MajT++mACfJUHSUKC0H6578zZ5pWUj3tuhMlQVeNrL8oF59Z6PX1ViJekSeBlU3p
qfX8u3dc3TMWhwXH6a0nV33mZnmPd+QyGn0WlEftF1GWIQX0zpm+VLD57Cs3HNLa
iFhCCJ47pg3+acVVkBMjmzxEodV64V8ZHX7mfDbTH4hpCHPpKc+E14ScL58SQgn1
vhZCxe8Ym+K04Gcfh4QnmYrLIeLHOA0YuaS6aDxdWYPukLkmacVhnt3cRVV44oQ/
oepQ+NhzAgMBAAECggEADRtzdA+fQZ0ChvLFz4BjhHkYDm+4Ry+kDRTM+4h4ELrN
qBziwTfxqDprdlfrWXUKxj2+MIC6ooznljdJAIAfHl8avX7ibkKesFi2vGUw1KwU
EetHzze+xIX3Z4k0Fjwzv84u65iAyG0eY7M0dQa0DTo4ssX/20hxn60wDHfPAamB
RW5YUwBPXfYhBzHwmIiK8AjQxHzrD/MBfKUSuj2edfr2aJ5eDvyWgoGXdsaASa9Q
/RsZBKVQk1f0fdcOvPKxw8QIcWCPUcIIPF2OtQNK9mCa+F8WMvIX8pyz+XXFcRYL
SAccfR/mO0iJko2uEQBNUXY3u7lFRizAtgPkL2CkfQKBgQC6HcVrm+u4aWWSnTWB
BSxMFgccad28rayhUk6C91E27NYb819zJiov+Ciy5vNb5jSNuPbPfFzgNmfoe098
58IJJZUAKSkviMnxjq3ELuy6MAskla1jpgoz0Qm5JMYnm/UOEFUX7OO4YrAxUbHM
107UAFiJdKUcZk9TGtZ8nVdubwKBgQC4SVUZF3OKiFN+6hufB77A3glPmDG/DrdO
6c7j8/VdONW4NCzkTvSXUn5BuFHwTMzQPaEzOlrczgHq9kPkYPTVOh1bFlTjCWe5
mNezD3nwWEgt3K0w85kwILZn+SPGjeKTJM5W2a4lgGkLQeJaJPdao+neODDiEjHP
v34Zdlj4PQKBgGlg/+3s66uPqZ44+xlhR3KRKleRLaZuI4d35dJLnCVgNd6/jvTQ
0CQ2+zxIfdQz5N+1sbFLNf8RbwX4A8qyInAxYkskAxjR952Y7pRdCVZma3i8ct8w
HSi3nCzDQJset8LNxpB0ZX96CU7zdZuI8S4iP/8cF3ycBSAF2xnVsLJrAoGAPIv7
ZY8K6wz3Qc9w28MTrRJGRNxgG8GeAFNZIhPZHZO6xBaAWVKHkeAMk1MXuLfC4vgc
qlQV3k3g222lyLcCObwqQO8JXL6OUbAhzjbbfVfD/y1tyZN/VQyqYWa9llKvimCh
Wm+Sg8e4u3YeBDf4/NK118jmZqBLtVHZAEyd1pECgYBsVd92AIErAvtC36Ii6RVy
YeKiKZn4yE//pB4pJTIhgUd1MqJsdVNhJQ85HdAs8A9JG6pU3iyYskZVRhdzsZQj
a+TzXxFThyHcFixv+yLZkL+GXcaapWDB4AtNSwhat2olBQr1SriWPdjTfmagTxQK
atebFnpufJERquGyWLqo6Q==
-----END PRIVATE KEY-----
)";

}  // namespace carehub::fuzz
