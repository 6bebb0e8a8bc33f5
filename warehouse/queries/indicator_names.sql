-- Every indicator's Chinese name, for a page that must say a name where a computation kept the code.
SELECT indicator_code, name_zh FROM catalogue.indicators;
