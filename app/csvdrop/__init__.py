"""csvdrop: lossless streaming CSV to JSON conversion into S3."""
