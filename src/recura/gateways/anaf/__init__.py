"""ANAF's e-Factura (Romania's national e-invoice system), spoken over HTTP with httpx:
`oauth` (the authorisation code grant at logincert.anaf.ro and its refresh), `efactura`
(upload, status, download at api.anaf.ro) and `answers` (ANAF's XML answers and the ZIP
of its decision, read)."""
