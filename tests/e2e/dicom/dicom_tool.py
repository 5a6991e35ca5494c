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
  dicom_tool.py render-set OUT_DIR       every pydicom test file with pixel data pydicom can
                                         decode, copied with fresh UIDs (one study each, the
                                         pixel data's bytes untouched); prints a JSON list of
                                         {file, source, transfer_syntax, frames, photometric,
                                         study_uid, series_uid, sop_uid}
  dicom_tool.py compare FILE FRAME IMAGE [CENTER WIDTH]
                                         how far IMAGE (PNG or JPEG, as carehub rendered frame
                                         FRAME of FILE) is from the same frame rendered here with
                                         numpy from pydicom's decoded pixels: JSON {mad, max,
                                         width, height, expected_width, expected_height}
  dicom_tool.py frame-pixels FILE N OUT  frame N of FILE as pydicom decodes it, little endian,
                                         samples interleaved, written to OUT
  dicom_tool.py same-image ORIG COPY     how COPY (a transcoded ORIG) differs: JSON
                                         {transfer_syntax, differing: [keywords], pixels_equal,
                                         max_diff, mad}; attributes that decoding changes are not
                                         compared
"""
import io
import json
import os
import sys
import warnings

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


def render_set(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    made = []
    warnings.filterwarnings("ignore")
    for name in sorted(os.listdir(TEST_FILES)):
        try:
            ds = pydicom.dcmread(os.path.join(TEST_FILES, name))
            if "PixelData" not in ds or "TransferSyntaxUID" not in ds.file_meta:
                continue
            ds.pixel_array  # the reference must be able to decode it
        except Exception:
            continue
        ds.StudyInstanceUID = generate_uid()
        ds.SeriesInstanceUID = generate_uid()
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        out = os.path.join(out_dir, name)
        try:
            ds.save_as(out, write_like_original=True)
        except Exception as e:  # pydicom cannot write some of its own odd files back
            print(f"render-set: {name} not copied: {e}", file=sys.stderr)
            continue
        made.append({
            "file": out,
            "source": name,
            "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
            "frames": int(ds.get("NumberOfFrames", 1) or 1),
            "photometric": str(ds.get("PhotometricInterpretation", "")),
            "study_uid": ds.StudyInstanceUID,
            "series_uid": ds.SeriesInstanceUID,
            "sop_uid": ds.SOPInstanceUID,
        })
    import numpy as np

    # What no test file has, made from CT_small: MONOCHROME1, and negative stored values (signed,
    # no window: the frame's range is drawn).
    def derived(name, change):
        ds = pydicom.dcmread(os.path.join(TEST_FILES, "CT_small.dcm"))
        change(ds)
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = (generate_uid() for _ in range(3))
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        out = os.path.join(out_dir, name)
        ds.save_as(out, write_like_original=True)
        made.append({
            "file": out, "source": name,
            "transfer_syntax": str(ds.file_meta.TransferSyntaxUID), "frames": 1,
            "photometric": str(ds.PhotometricInterpretation), "study_uid": ds.StudyInstanceUID,
            "series_uid": ds.SeriesInstanceUID, "sop_uid": ds.SOPInstanceUID,
        })

    def monochrome1(ds):
        ds.PhotometricInterpretation = "MONOCHROME1"

    def negative(ds):
        ds.PixelData = (ds.pixel_array.astype(np.int16) - 1200).astype("<i2").tobytes()

    derived("CT_small_monochrome1.dcm", monochrome1)
    derived("CT_small_negative.dcm", negative)
    print(json.dumps(made))
    return 0


def first_number(value):
    if isinstance(value, pydicom.multival.MultiValue):
        value = value[0]
    return float(value)


def expected_frame(path, n, window):
    """Frame n rendered as DICOM says (PS3.3 C.11): modality LUT, then the VOI (the window given,
    else the file's first, else the frame's range, linearly), MONOCHROME1 inverted; colour as RGB,
    scaled to 8 bits."""
    import numpy as np
    from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut, convert_color_space

    warnings.filterwarnings("ignore")
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        pixels = pixels[n - 1]
    photometric = str(ds.PhotometricInterpretation)
    if int(ds.get("SamplesPerPixel", 1)) > 1:
        # pydicom hands out YBR_FULL and YBR_FULL_422 data (JPEG's too) as YBR; JPEG 2000's
        # decoders undo its colour transforms (YBR_ICT, YBR_RCT) themselves.
        if photometric in ("YBR_FULL", "YBR_FULL_422"):
            pixels = convert_color_space(pixels, photometric, "RGB")
        top = float(2 ** int(ds.BitsStored) - 1)
        return np.clip(np.round(pixels.astype(np.float64) * 255.0 / top), 0, 255)
    x = apply_modality_lut(pixels, ds).astype(np.float64)
    if window is None and "WindowCenter" in ds and "WindowWidth" in ds:
        window = (first_number(ds.WindowCenter), first_number(ds.WindowWidth))
    if window is None and "VOILUTSequence" in ds:
        y = apply_voi_lut(x, ds).astype(np.float64)
        y = (y - y.min()) / max(float(y.max() - y.min()), 1e-9)
    elif window is None:
        low, high = float(x.min()), float(x.max())
        y = (x - low) / max(high - low, 1e-9)
    else:
        center, width = window
        y = np.clip((x - (center - 0.5)) / (width - 1) + 0.5, 0, 1)
    if photometric == "MONOCHROME1":
        y = 1 - y
    return np.round(y * 255.0)


def compare(path, n, image_path, center=None, width=None):
    import numpy as np
    from PIL import Image

    window = (float(center), float(width)) if center is not None else None
    expected = expected_frame(path, int(n), window)
    got = np.asarray(Image.open(image_path)).astype(np.float64)
    result = {
        "width": int(got.shape[1]), "height": int(got.shape[0]),
        "expected_width": int(expected.shape[1]), "expected_height": int(expected.shape[0]),
    }
    if got.shape != expected.shape:
        result.update({"mad": None, "max": None, "shape": [list(got.shape), list(expected.shape)]})
    else:
        diff = np.abs(got - expected)
        result.update({"mad": float(diff.mean()), "max": float(diff.max())})
    print(json.dumps(result))
    return 0


def decoded_frames(ds):
    import numpy as np

    warnings.filterwarnings("ignore")
    pixels = ds.pixel_array
    if int(ds.get("NumberOfFrames", 1) or 1) == 1:
        pixels = pixels[np.newaxis, ...]
    return pixels.astype(pixels.dtype.newbyteorder("<"))


def frame_pixels(path, n, out):
    import numpy as np

    ds = pydicom.dcmread(path)
    frame = decoded_frames(ds)[int(n) - 1]
    # pydicom hands out samples interleaved; a frame keeps the data set's Planar Configuration
    # (by plane: all reds, all greens, all blues). JPEG 2000 frames are interleaved.
    by_plane = int(ds.get("SamplesPerPixel", 1)) > 1 and int(ds.get("PlanarConfiguration", 0)) == 1
    if by_plane and ds.file_meta.TransferSyntaxUID not in ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"):
        frame = np.moveaxis(frame, -1, 0)
    if int(ds.BitsAllocated) == 1:  # frames of bit-packed data stay packed, first pixel lowest
        frame = np.packbits(frame.astype(np.uint8).ravel(), bitorder="little")
    with open(out, "wb") as f:
        f.write(np.ascontiguousarray(frame).tobytes())
    return 0


def rgb_frames(ds):
    """decoded_frames, YBR_FULL and YBR_FULL_422 data converted to RGB (pydicom hands them out
    as YBR; a decoder may have converted them already, and said so)."""
    from pydicom.pixel_data_handlers.util import convert_color_space

    frames = decoded_frames(ds)
    photometric = str(ds.get("PhotometricInterpretation", ""))
    if photometric in ("YBR_FULL", "YBR_FULL_422"):
        frames = convert_color_space(frames, photometric, "RGB")
    return frames


# What decoding may change, and so what a transcoded copy need not keep.
DECODING_CHANGES = {"PixelData", "PhotometricInterpretation", "PlanarConfiguration", "BitsStored",
                    "HighBit", "PixelRepresentation"}


def same_image(orig, copy):
    import numpy as np

    warnings.filterwarnings("ignore")
    a, b = pydicom.dcmread(orig), pydicom.dcmread(copy)
    differing = []
    for elem in a:
        if elem.keyword in DECODING_CHANGES or elem.tag.element == 0 or elem.tag >= 0x7FE00010:
            continue
        if elem.tag not in b or b[elem.tag].value != elem.value:
            differing.append(elem.keyword or str(elem.tag))
    result = {"transfer_syntax": str(b.file_meta.TransferSyntaxUID), "differing": differing}
    if "PixelData" in a:
        pa, pb = (rgb_frames(d).astype(np.int64) for d in (a, b))
        result["pixels_equal"] = bool(pa.shape == pb.shape and (pa == pb).all())
        same_shape = pa.shape == pb.shape
        result["max_diff"] = float(np.abs(pa - pb).max()) if same_shape else None
        result["mad"] = float(np.abs(pa - pb).mean()) if same_shape else None
    print(json.dumps(result))
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
    if len(argv) == 2 and argv[0] == "render-set":
        return render_set(argv[1])
    if len(argv) == 4 and argv[0] == "frame-pixels":
        return frame_pixels(*argv[1:])
    if len(argv) == 3 and argv[0] == "same-image":
        return same_image(argv[1], argv[2])
    if len(argv) in (4, 6) and argv[0] == "compare":
        return compare(*argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
