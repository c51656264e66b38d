"""Referrals (issue 15): personal referral codes, credit to the referrer when a new
customer's first order carries their code, and what referrals brought.

- core/referrals/codes.py: `export_referral_codes` (`retain-tui referral codes`);
- core/referrals/credit.py: `reconcile_referrals`, run by every order import;
- core/referrals/report.py: `referrals_report` (`retain-tui referrals`), `customer_referrals`;
- core/referrals/settings.py: the `referrals.*` shop settings.

docs/referrals.md explains the rules. Nothing here imports the composer until a code file
or a reward code needs a discount parsed.
"""
