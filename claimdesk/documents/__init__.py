"""Uploaded files (scans and photos) attached to cases, stored by content hash outside the web root."""
