"""Campaign discount codes after the drafts: which orders redeemed them (the view
`code_redemptions`, core/schema.py), and the files the owner imports into the shop."""
