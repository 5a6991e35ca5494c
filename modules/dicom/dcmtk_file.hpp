// What the DCMTK-side files of the module (parse.cpp, render.cpp) share; the rest of the module
// never includes DCMTK.
#pragma once

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
//
#include <dcmtk/dcmdata/dcfilefo.h>

#include <cstddef>
#include <string>

namespace carehub::dicom {

// Loads a Part 10 file with values over 4 KiB left on disk (read when asked for), after checking
// that its sequences do not nest deeper than DCMTK's recursion can take. False with why (for the
// client) when it cannot be read.
bool load_lazily(const std::string& path, DcmFileFormat& file, std::string& why);
// load_lazily of a file the blob store holds: it was walked when it was stored, and a stored file
// never changes, so its sequences are not walked again (the walk reads the whole file).
bool load_stored(const std::string& path, DcmFileFormat& file, std::string& why);

// Explicit VR Big Endian keeps 1-, 8- and 32-bit samples in an OW value, which DCMTK byte-swaps as
// 16-bit words when it reads the value out: bytes of 1- and 8-bit samples come out swapped in
// pairs, 32-bit ones with their halves in the wrong order. Puts n bytes of such a data set's pixel
// data read that way back in order (anything else is left alone).
void undo_big_endian_ow(DcmDataset& ds, char* data, std::size_t n);
// Bits Allocated of such a data set's pixel data (Explicit VR Big Endian, OW); 0 for any other.
int big_endian_ow_bits(DcmDataset& ds);

}  // namespace carehub::dicom
