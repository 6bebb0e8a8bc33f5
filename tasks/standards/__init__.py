"""National standards (HJ 633 AQI, GB 3095 limits, GB/T 8170 rounding) selected by the date of the data."""
