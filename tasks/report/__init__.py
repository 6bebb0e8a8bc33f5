"""What leaders read: the 月报 (monthly report), the monthly bulletin and the quarterly assessment."""
