"""Starting charts of accounts for a new organisation.

Codes follow the common convention (1xxx assets, 2xxx liabilities, 3xxx equity,
4xxx income, 5xxx-6xxx expenses) so exports line up with what accountants know.
A parent is listed before its children.
"""

from dataclasses import dataclass

from nexus.ledger.domain import AccountType as T


@dataclass(frozen=True, slots=True)
class AccountSpec:
    code: str
    name: str
    type: T
    parent: str | None = None
    multi_currency: bool = False


_COMMON_EQUITY = (
    AccountSpec("3000", "Equity", T.EQUITY),
    AccountSpec("3100", "Opening balances", T.EQUITY, "3000"),
    AccountSpec("3900", "Currency trading", T.EQUITY, "3000", multi_currency=True),
)

HOUSEHOLD: tuple[AccountSpec, ...] = (
    AccountSpec("1000", "Assets", T.ASSET),
    AccountSpec("1010", "Checking account", T.ASSET, "1000"),
    AccountSpec("1020", "Savings account", T.ASSET, "1000"),
    AccountSpec("1030", "Cash", T.ASSET, "1000"),
    AccountSpec("1100", "Investments", T.ASSET, "1000", multi_currency=True),
    AccountSpec("2000", "Liabilities", T.LIABILITY),
    AccountSpec("2010", "Credit card", T.LIABILITY, "2000"),
    AccountSpec("2100", "Mortgage", T.LIABILITY, "2000"),
    *_COMMON_EQUITY,
    AccountSpec("4000", "Income", T.INCOME),
    AccountSpec("4010", "Salary", T.INCOME, "4000"),
    AccountSpec("4020", "Interest", T.INCOME, "4000"),
    AccountSpec("4090", "Other income", T.INCOME, "4000"),
    AccountSpec("5000", "Expenses", T.EXPENSE),
    AccountSpec("5010", "Rent and housing", T.EXPENSE, "5000"),
    AccountSpec("5020", "Groceries", T.EXPENSE, "5000"),
    AccountSpec("5030", "Restaurants", T.EXPENSE, "5000"),
    AccountSpec("5040", "Utilities", T.EXPENSE, "5000"),
    AccountSpec("5050", "Transport", T.EXPENSE, "5000"),
    AccountSpec("5060", "Health", T.EXPENSE, "5000"),
    AccountSpec("5070", "Insurance", T.EXPENSE, "5000"),
    AccountSpec("5080", "Entertainment", T.EXPENSE, "5000"),
    AccountSpec("5090", "Shopping", T.EXPENSE, "5000"),
    AccountSpec("5100", "Travel", T.EXPENSE, "5000"),
    AccountSpec("5110", "Subscriptions", T.EXPENSE, "5000"),
    AccountSpec("5120", "Bank fees", T.EXPENSE, "5000"),
    AccountSpec("5900", "Uncategorized", T.EXPENSE, "5000"),
)

SMALL_BUSINESS: tuple[AccountSpec, ...] = (
    AccountSpec("1000", "Assets", T.ASSET),
    AccountSpec("1010", "Operating bank account", T.ASSET, "1000"),
    AccountSpec("1020", "Reserve account", T.ASSET, "1000"),
    AccountSpec("1100", "Accounts receivable", T.ASSET, "1000"),
    AccountSpec("1200", "Inventory", T.ASSET, "1000"),
    AccountSpec("1300", "Prepaid expenses", T.ASSET, "1000"),
    AccountSpec("1500", "Equipment", T.ASSET, "1000"),
    AccountSpec("1590", "Accumulated depreciation", T.ASSET, "1000"),
    AccountSpec("2000", "Liabilities", T.LIABILITY),
    AccountSpec("2010", "Accounts payable", T.LIABILITY, "2000"),
    AccountSpec("2100", "Sales tax payable", T.LIABILITY, "2000"),
    AccountSpec("2200", "Payroll liabilities", T.LIABILITY, "2000"),
    AccountSpec("2300", "Credit card", T.LIABILITY, "2000"),
    AccountSpec("2500", "Loans", T.LIABILITY, "2000"),
    *_COMMON_EQUITY,
    AccountSpec("3200", "Owner's contributions", T.EQUITY, "3000"),
    AccountSpec("3300", "Owner's draws", T.EQUITY, "3000"),
    AccountSpec("3400", "Retained earnings", T.EQUITY, "3000"),
    AccountSpec("4000", "Revenue", T.INCOME),
    AccountSpec("4010", "Sales", T.INCOME, "4000"),
    AccountSpec("4020", "Services", T.INCOME, "4000"),
    AccountSpec("4900", "Other income", T.INCOME, "4000"),
    AccountSpec("5000", "Cost of goods sold", T.EXPENSE),
    AccountSpec("5010", "Purchases", T.EXPENSE, "5000"),
    AccountSpec("6000", "Operating expenses", T.EXPENSE),
    AccountSpec("6010", "Salaries and wages", T.EXPENSE, "6000"),
    AccountSpec("6020", "Rent", T.EXPENSE, "6000"),
    AccountSpec("6030", "Utilities", T.EXPENSE, "6000"),
    AccountSpec("6040", "Software and subscriptions", T.EXPENSE, "6000"),
    AccountSpec("6050", "Marketing", T.EXPENSE, "6000"),
    AccountSpec("6060", "Professional fees", T.EXPENSE, "6000"),
    AccountSpec("6070", "Travel", T.EXPENSE, "6000"),
    AccountSpec("6080", "Bank fees", T.EXPENSE, "6000"),
    AccountSpec("6090", "Depreciation", T.EXPENSE, "6000"),
    AccountSpec("6900", "Uncategorized", T.EXPENSE, "6000"),
)

TEMPLATES: dict[str, tuple[AccountSpec, ...]] = {
    "household": HOUSEHOLD,
    "small_business": SMALL_BUSINESS,
    "empty": (),
}
