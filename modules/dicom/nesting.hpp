// How deeply a DICOM file nests sequences, found before DCMTK reads it. DCMTK's parser recurses
// once per sequence level (about a kilobyte of stack each): a 3.6 MB file of 100,000 nested
// empty sequences crashes dcmdump, and would crash the server on an upload or a C-STORE. This
// walks element headers only (values are skipped, not read), with its own stack, and says when
// the nesting goes beyond a bound no real instance comes near (structured reports nest a dozen
// levels).
//
// The walk over-approximates what DCMTK will nest: every SQ, every UN or implicit element of
// undefined length, and every implicit element whose value begins with an item tag count as a
// sequence, whatever the data dictionary says. Encapsulated pixel data's fragments are not data
// sets and do not count. Deflated data sets are inflated as they are walked.
//
// The walk only proves something when it follows the file as DCMTK will: a file meta group of
// the plain layout, lengths that add up, delimiters where they belong. Where it loses its way
// (DCMTK tolerates more, and would read on differently), the nesting is bounded by the number of
// item tags in the raw bytes instead, and a file naming the deflated syntax is refused. Fuzzing
// found a file meta group DCMTK read differently from the walk, which let 40 levels through.
#pragma once

#include <optional>
#include <string>

namespace carehub::dicom {

inline constexpr int kMaxSequenceDepth = 32;

// Why the file cannot be read safely ("sequences nested deeper than 32 levels"), or nothing.
// Throws std::runtime_error when the file cannot be opened or read.
std::optional<std::string> sequence_nesting_problem(const std::string& path,
                                                    int max_depth = kMaxSequenceDepth);

// The same over bytes in memory (the fuzz harness, tests).
std::optional<std::string> sequence_nesting_problem_of(std::string_view bytes,
                                                       int max_depth = kMaxSequenceDepth);

}  // namespace carehub::dicom
