#!/usr/bin/python3
"""DICOM chores for the dicom end-to-end tests, with Debian's pydicom (run by /usr/bin/python3).

  dicom_tool.py make OUT_DIR SPEC.json   instances from a template (CT_small.dcm), one per spec
                                         entry: {"file", "patient_name", "patient_id",
                                         "study_uid", "series_uid", "sop_uid", "study_date",
                                         "modality", "accession"} (missing UIDs: fresh ones);
                                         "raw": {"ggggeeee": [VR, text]} writes those elements'
                                         bytes as given, valid for their VR or not
  dicom_tool.py same-dataset A B         exit 0 when the data sets are equal (file meta and group
                                         lengths aside), else 1 with the first difference
  dicom_tool.py big OUT MEGABYTES          an uncompressed CT instance of about that size
                                         (multi-frame 512x512x16-bit), written in pieces
  dicom_tool.py frame FILE N             frame N (1-based) of uncompressed pixel data, little
                                         endian, to stdout
"""
import json
import os
import sys

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag
from pydicom.uid import generate_uid

TEST_FILES = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")


def make(out_dir, spec_path):
    spec = json.load(open(spec_path))
    os.makedirs(out_dir, exist_ok=True)
    for entry in spec:
        ds = pydicom.dcmread(os.path.join(TEST_FILES, "CT_small.dcm"))
        ds.PatientName = entry.get("patient_name", "Test^Patient")
        ds.PatientID = entry.get("patient_id", "P1")
        ds.StudyInstanceUID = entry.get("study_uid") or generate_uid()
        ds.SeriesInstanceUID = entry.get("series_uid") or generate_uid()
        ds.SOPInstanceUID = entry.get("sop_uid") or generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.StudyDate = entry.get("study_date", "20240101")
        ds.Modality = entry.get("modality", "CT")
        ds.AccessionNumber = entry.get("accession", "")
        if "birth_date" in entry:
            ds.PatientBirthDate = entry["birth_date"]
        if "sex" in entry:
            ds.PatientSex = entry["sex"]
        for key, (vr, text) in entry.get("raw", {}).items():
            value = text.encode("latin-1")
            if len(value) % 2:
                value += b" "
            tag = Tag(int(key, 16))
            ds[tag] = RawDataElement(tag, vr, len(value), value, 0, False, True)
        ds.save_as(os.path.join(out_dir, entry["file"]), write_like_original=True)


def big(out, megabytes):
    ds = pydicom.dcmread(os.path.join(TEST_FILES, "CT_small.dcm"))
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 512, 512, 16, 16, 15
    frame = 512 * 512 * 2
    frames = max(1, int(megabytes) * 1024 * 1024 // frame)
    ds.NumberOfFrames = frames
    del ds.PixelData  # written below, frame by frame: the last element of the data set
    if 0xFFFCFFFC in ds:
        del ds[0xFFFCFFFC]
    ds.save_as(out, write_like_original=False)
    with open(out, "ab") as f:
        f.write(b"\xe0\x7f\x10\x00OW\x00\x00" + (frames * frame).to_bytes(4, "little"))
        for i in range(frames):
            f.write(bytes([i % 251]) * frame)


def comparable(ds):
    return {
        elem.tag: elem.value
        for elem in ds.iterall()
        # Group lengths are recomputed by whoever writes the file; trailing padding is not data.
        if elem.tag.element != 0 and elem.tag != 0xFFFCFFFC
    }


def same_dataset(a, b):
    da, db = pydicom.dcmread(a), pydicom.dcmread(b)
    ea, eb = comparable(da), comparable(db)
    for tag in sorted(set(ea) | set(eb)):
        if ea.get(tag) != eb.get(tag):
            print(f"differs at {tag}: {str(ea.get(tag))[:80]!r} != {str(eb.get(tag))[:80]!r}")
            return 1
    return 0


def frame(path, n):
    ds = pydicom.dcmread(path)
    n = int(n)
    rows, cols = int(ds.Rows), int(ds.Columns)
    samples = int(getattr(ds, "SamplesPerPixel", 1))
    frame_bytes = rows * cols * samples * int(ds.BitsAllocated) // 8
    data = ds.PixelData
    if not ds.file_meta.TransferSyntaxUID.is_little_endian and int(ds.BitsAllocated) == 16:
        data = b"".join(data[i + 1:i + 2] + data[i:i + 1] for i in range(0, len(data), 2))
    sys.stdout.buffer.write(data[(n - 1) * frame_bytes:n * frame_bytes])
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "make":
        make(argv[1], argv[2])
        return 0
    if len(argv) == 3 and argv[0] == "same-dataset":
        return same_dataset(argv[1], argv[2])
    if len(argv) == 3 and argv[0] == "big":
        big(argv[1], argv[2])
        return 0
    if len(argv) == 3 and argv[0] == "frame":
        return frame(argv[1], argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
