"""Committed item catalogue data (``online_retail_items.csv``) and the script that extracted it."""
