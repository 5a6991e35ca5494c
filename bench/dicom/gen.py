"""Synthetic DICOM instances for bench/dicom (run with /usr/bin/python3: Debian's pydicom).

  gen.py corpus OUTDIR N    N CT-like instances (512x512, 16-bit, ~0.5 MB each) written as
                            OUTDIR/NNNNNN.dcm, 100 per study (2 series of 50), one patient per
                            study, every UID fresh; OUTDIR/manifest.tsv lists
                            file, study, series and SOP Instance UIDs

Imported by ingest.py for the preload: preload_instance(i) returns the bytes of small instance i
(64x64 CT, ~15 KB; 100 instances per study, one series per study, one patient per study), made by
rewriting the fixed-width UIDs and patient id of one pydicom-written template, so 100,000 of them
cost seconds. Their UIDs cannot collide with the corpus' (another root).
"""

import copy
import os
import sys
from array import array

import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

TEMPLATE = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm"
PER_SERIES = 50
SERIES_PER_STUDY = 2


def phantom(size, slice_no):
    """A water cylinder in air with a denser core (CT numbers + 1024), varying by slice."""
    radius = size * (0.38 + 0.04 * ((slice_no % 10) / 10))
    core = radius * 0.3
    c = size / 2
    pixels = array("H", bytes(2 * size * size))
    for y in range(size):
        dy = y + 0.5 - c
        row = y * size
        for x in range(size):
            dx = x + 0.5 - c
            d2 = dx * dx + dy * dy
            if d2 <= core * core:
                v = 1024 + 300 + ((x * 7 + y * 13 + slice_no) % 23)
            elif d2 <= radius * radius:
                v = 1024 + ((x * 5 + y * 3 + slice_no) % 17)
            else:
                v = (x + y + slice_no) % 5
            pixels[row + x] = v
    if sys.byteorder != "little":
        pixels.byteswap()
    return pixels.tobytes()


def base_dataset(size):
    ds = pydicom.dcmread(TEMPLATE)
    ds.Rows = size
    ds.Columns = size
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.PixelSpacing = ["0.7", "0.7"]
    ds.AccessionNumber = ""
    for keyword in ("OtherPatientIDsSequence", "PixelPaddingValue"):
        if keyword in ds:
            delattr(ds, keyword)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.1"
    meta.ImplementationVersionName = "CAREHUB_BENCH"
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    return ds


def corpus(outdir, n):
    os.makedirs(outdir, exist_ok=True)
    base = base_dataset(512)
    slices = [phantom(512, k) for k in range(PER_SERIES)]
    per_study = PER_SERIES * SERIES_PER_STUDY
    with open(os.path.join(outdir, "manifest.tsv"), "w") as manifest:
        study_uid = series_uid = None
        for i in range(n):
            study, in_study = divmod(i, per_study)
            series, number = divmod(in_study, PER_SERIES)
            if in_study == 0:
                study_uid = generate_uid()
                frame_uid = generate_uid()
            if number == 0:
                series_uid = generate_uid()
            ds = copy.copy(base)
            sop_uid = generate_uid()
            ds.file_meta = copy.copy(base.file_meta)
            ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
            ds.SOPInstanceUID = sop_uid
            ds.StudyInstanceUID = study_uid
            ds.SeriesInstanceUID = series_uid
            ds.FrameOfReferenceUID = frame_uid
            ds.PatientID = f"BENCH{study:06d}"
            ds.PatientName = f"Bench^Patient{study:06d}"
            ds.AccessionNumber = f"ACC{study:07d}"
            ds.StudyID = str(study + 1)
            ds.SeriesNumber = series + 1
            ds.InstanceNumber = number + 1
            z = -5.0 * number
            ds.ImagePositionPatient = ["-179.3", "-179.3", f"{z:.1f}"]
            ds.SliceLocation = f"{z:.1f}"
            ds.PixelData = slices[number]
            name = f"{i:06d}.dcm"
            ds.save_as(os.path.join(outdir, name), write_like_original=False)
            manifest.write(f"{name}\t{study_uid}\t{series_uid}\t{sop_uid}\n")


# --- preload: one small template, fixed-width fields rewritten per instance -----------------------

PRELOAD_ROOT = "1.2.826.0.1.3680043.8.498.424242."
PRELOAD_PER_STUDY = 100
_W = 10 ** 11  # every number below is written as 1 + 11 digits: fixed width


def _study_uid(s):
    return f"{PRELOAD_ROOT}1.{_W + s}"


def _series_uid(s):
    return f"{PRELOAD_ROOT}2.{_W + s}"


def _sop_uid(i):
    return f"{PRELOAD_ROOT}3.{_W + i}"


def _patient(s):
    return f"PRE{s:011d}"


_template = None


def _preload_template():
    global _template
    if _template is None:
        import io

        ds = base_dataset(64)
        ds.PixelData = phantom(64, 0)
        ds.file_meta.MediaStorageSOPInstanceUID = _sop_uid(0)
        ds.SOPInstanceUID = _sop_uid(0)
        ds.StudyInstanceUID = _study_uid(0)
        ds.SeriesInstanceUID = _series_uid(0)
        ds.FrameOfReferenceUID = _series_uid(0)
        ds.PatientID = _patient(0)
        ds.PatientName = f"Pre^{_patient(0)}"
        ds.SeriesNumber = 1
        ds.InstanceNumber = 1
        buf = io.BytesIO()
        ds.save_as(buf, write_like_original=False)
        data = buf.getvalue()
        for field in (_sop_uid(0), _study_uid(0), _series_uid(0), _patient(0)):
            assert data.count(field.encode()) >= 1, field
        _template = data
    return _template


def preload_uids(i):
    """(study, series, sop) UIDs of preload instance i."""
    s = i // PRELOAD_PER_STUDY
    return _study_uid(s), _series_uid(s), _sop_uid(i)


def preload_instance(i):
    s = i // PRELOAD_PER_STUDY
    data = _preload_template()
    # sop first: the series placeholder is only replaced after, and no placeholder contains another
    data = data.replace(_sop_uid(0).encode(), _sop_uid(i).encode())
    data = data.replace(_study_uid(0).encode(), _study_uid(s).encode())
    data = data.replace(_series_uid(0).encode(), _series_uid(s).encode())
    data = data.replace(_patient(0).encode(), _patient(s).encode())
    return data


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "corpus":
        corpus(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
