"""The page recipients answer their satisfaction survey on, opened from a signed link."""
