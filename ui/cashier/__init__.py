"""The cashier screen: sign-in, cart, member, tenders and the manager's approvals."""
