"""Numbered SQL migrations (NNN_description.sql), shipped with the package so an installed bot finds them."""
