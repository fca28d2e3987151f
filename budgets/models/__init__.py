"""The money core: years, wards, councillors, funds, the double-entry budget ledger, payments,
bank statements and clawback. One module per concern; every model is importable from here.
"""

from budgets.models.base import MONEY, AppendOnlyModel, AppendOnlyQuerySet, money_field
from budgets.models.clawback import Clawback, ClawbackRefund
from budgets.models.ledger import Account, Entry, LedgerTransaction
from budgets.models.payments import (
    Payment,
    PaymentEvent,
    PaymentFile,
    PaymentRun,
    PaymentRunLine,
    PaymentSchedule,
)
from budgets.models.statements import (
    BankAccountLayout,
    GLImport,
    GLLine,
    Match,
    Statement,
    StatementLine,
)
from budgets.models.structure import (
    Council,
    Councillor,
    CouncillorQuerySet,
    ElectionPeriod,
    FinancialYear,
    Fund,
    FundYear,
    Ward,
    YearEnd,
    year_closed,
)
from budgets.models.totals import KindTotal

__all__ = [
    "Account",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "BankAccountLayout",
    "Clawback",
    "ClawbackRefund",
    "Council",
    "Councillor",
    "CouncillorQuerySet",
    "ElectionPeriod",
    "Entry",
    "FinancialYear",
    "Fund",
    "KindTotal",
    "FundYear",
    "GLImport",
    "GLLine",
    "LedgerTransaction",
    "MONEY",
    "Match",
    "Payment",
    "PaymentEvent",
    "PaymentFile",
    "PaymentRun",
    "PaymentRunLine",
    "PaymentSchedule",
    "Statement",
    "StatementLine",
    "Ward",
    "YearEnd",
    "year_closed",
    "money_field",
]
