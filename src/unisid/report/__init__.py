"""Reports: SID quality (JSON + PNG)."""
