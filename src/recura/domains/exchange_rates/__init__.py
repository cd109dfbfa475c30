"""Exchange rates: imported from the National Bank of Romania's XML, a CSV file or the API;
the rate of a day for reports and for VAT in RON on invoices in another currency."""
