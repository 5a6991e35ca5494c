-- Thumbnails are kept in the blob store under their instance's SHA-256; the orphan sweep asks,
-- for each one, whether an indexed instance still has that SHA-256.
CREATE INDEX dicom_instances_sha256 ON dicom_instances (sha256);
