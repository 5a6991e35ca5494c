# carehub container image. Build:  docker build -t carehub .
# Run:    docker run -p 8000:8000 -v carehub-data:/var/lib/carehub carehub            (serve)
#         docker run --rm -v carehub-data:/var/lib/carehub carehub migrate           (then exits)
#         docker run --rm -v carehub-data:/var/lib/carehub carehub bootstrap|worker|version
# Configuration: CAREHUB_<SECTION>__<KEY> variables, or a file via --config / CAREHUB_CONFIG_FILE
# (see config/clinic.example.json). The image defaults to SQLite inside the volume.

FROM debian:bookworm AS build
WORKDIR /src
# The package layer only depends on the install script and the console's lock file, so code
# changes do not reinstall. install-deps.sh installs Node.js and runs `npm ci` in web/: the
# console is bundled (esbuild) into the binary by the build below.
COPY scripts/install-deps.sh scripts/install-deps.sh
COPY web/package.json web/package-lock.json web/
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN bash scripts/build.sh carehub && strip build/carehub

FROM debian:bookworm-slim
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/carehub --shell /usr/sbin/nologin carehub \
 && install -d -o carehub -g carehub -m 0750 /var/lib/carehub
COPY --from=build /src/build/carehub /usr/local/bin/carehub

USER carehub
WORKDIR /var/lib/carehub
VOLUME /var/lib/carehub
COPY config/container.json /etc/carehub/carehub.json
ENV CAREHUB_CONFIG_FILE=/etc/carehub/carehub.json
EXPOSE 8000
# No --url: healthcheck reads the configured port (CAREHUB_SERVER__PORT included), so the check
# follows the server wherever it listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["carehub", "healthcheck"]
ENTRYPOINT ["carehub"]
CMD ["serve"]
