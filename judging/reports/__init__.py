"""PDF reports (WeasyPrint, Chinese, embedded CJK font) and CSV/XLSX exports of result runs."""
