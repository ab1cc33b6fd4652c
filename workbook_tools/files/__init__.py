"""Workbook files in and out: safety checks, reading, writing back, marks, atomic saves, live Excel."""
