"""Labels and documents drawn with reportlab: barcodes, media, sheets, certificates. No database."""
