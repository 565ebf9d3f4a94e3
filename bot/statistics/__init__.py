"""Anonymous daily statistics for a force's supervisors."""
