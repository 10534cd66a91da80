"""Reports: the supervisor dashboard and its CSV/XLSX exports."""
