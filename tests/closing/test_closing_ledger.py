"""The ledger side of a close (docs/domain.md §3 and §2.4): one voucher per run, summarized by its
specification; adjustments posted to the accounts of the original transaction; storno for
decreases; and a preview that writes nothing and shows what the close will post.

The book: three items with the BASE-22 history, closed up to January 31.

    BOLT  item group DEFAULT, FIFO  3b 16.00 -> 10.00: adjustment +6.00 (cheaper: COGS down)
    NUT   item group DEFAULT, LIFO  3b 16.00 -> 30.00: adjustment -14.00 (dearer: COGS up)
    SAW   item group TOOLS,   FIFO  3b 16.00 -> 10.00: adjustment +6.00

An issue's inventory side is 1400 and its offset 5000 (cost of goods sold): a cheaper issue puts
value back on inventory (debit 1400, credit 5000), a dearer one takes it off.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from closing.models import ClosingRun, InventoryParameters
from inventory.models import ItemGroup
from ledger.models import MainAccount, Voucher, VoucherLine
from ledger.selectors import trial_balance, unbalanced_vouchers

CLOSE = "2026-01-31"


@pytest.fixture
def three_items(books, company):
    ItemGroup.objects.create(
        code="TOOLS", name="Tools", **{f"{field.name}_id": getattr(company.item_group, f"{field.name}_id")
                                       for field in ItemGroup._meta.fields if field.name.endswith("_account")})
    books.items("""
        BOLT,Hex bolt,DEFAULT,FIFO,
        NUT,Hex nut,DEFAULT,LIFO,
        SAW,Circular saw,TOOLS,FIFO,
    """)
    for item in ("BOLT", "NUT", "SAW"):
        books.base22(item, prefix=f"{item}-")
    return books


def closing_voucher() -> Voucher:
    run = ClosingRun.objects.get(run_type=ClosingRun.RunType.CLOSING, is_cancelled=False)
    assert Voucher.objects.filter(source=Voucher.Source.CLOSING).count() == 1  # the run's single voucher
    assert run.voucher.source == Voucher.Source.CLOSING
    return run.voucher


def lines(voucher: Voucher) -> list[tuple]:
    """(account, item group, item, debit, credit, storno), in a stable order."""
    return sorted(
        (line.account.number, line.item_group.code if line.item_group_id else None, line.item.number if line.item_id else None,
         line.debit, line.credit, line.is_storno)
        for line in VoucherLine.objects.filter(voucher=voucher).select_related("account", "item_group", "item"))


def turnover() -> dict[str, tuple[D, D]]:
    """Debit and credit turnover per account, all dates."""
    return {row["account"].number: (row["debit"], row["credit"])
            for row in trial_balance(date_from=date(2000, 1, 1), date_to=date(2100, 12, 31))}


def test_it_posts_one_line_per_account_with_specification_total(three_items):
    three_items.close(CLOSE, "--specification", "total")

    # 1400: +6.00 - 14.00 + 6.00 = -2.00
    assert lines(closing_voucher()) == [
        ("1400", None, None, D("0.00"), D("2.00"), False),
        ("5000", None, None, D("2.00"), D("0.00"), False),
    ]
    assert unbalanced_vouchers() == []


def test_it_posts_one_line_per_account_and_item_group_with_specification_item_group(three_items):
    three_items.close(CLOSE, "--specification", "item-group")

    assert lines(closing_voucher()) == [
        ("1400", "DEFAULT", None, D("0.00"), D("8.00"), False),  # BOLT +6.00, NUT -14.00
        ("1400", "TOOLS", None, D("6.00"), D("0.00"), False),
        ("5000", "DEFAULT", None, D("8.00"), D("0.00"), False),
        ("5000", "TOOLS", None, D("0.00"), D("6.00"), False),
    ]


def test_it_posts_one_line_per_account_and_item_with_specification_item(three_items):
    three_items.close(CLOSE, "--specification", "item")

    assert lines(closing_voucher()) == [
        ("1400", "DEFAULT", "BOLT", D("6.00"), D("0.00"), False),
        ("1400", "DEFAULT", "NUT", D("0.00"), D("14.00"), False),
        ("1400", "TOOLS", "SAW", D("6.00"), D("0.00"), False),
        ("5000", "DEFAULT", "BOLT", D("0.00"), D("6.00"), False),
        ("5000", "DEFAULT", "NUT", D("14.00"), D("0.00"), False),
        ("5000", "TOOLS", "SAW", D("0.00"), D("6.00"), False),
    ]


def test_it_posts_to_the_accounts_of_the_original_transaction(books, company):
    books.item("BOLT", "FIFO")
    books.base22("BOLT")
    # After posting, before closing, the item group's setup moves to new accounts.
    new_cogs = MainAccount.objects.create(number="5010", name="Cost of goods sold, new", account_type="profit_loss")
    new_inventory = MainAccount.objects.create(number="1410", name="Inventory, new", account_type="balance")
    ItemGroup.objects.filter(code="DEFAULT").update(cogs_account=new_cogs, inventory_issue_account=new_inventory,
                                                    inventory_receipt_account=new_inventory)

    books.close(CLOSE)

    assert lines(closing_voucher()) == [
        ("1400", None, None, D("6.00"), D("0.00"), False),
        ("5000", None, None, D("0.00"), D("6.00"), False),
    ]
    assert not VoucherLine.objects.filter(account__in=[new_cogs, new_inventory]).exists()


@pytest.fixture
def storno(company):
    InventoryParameters.objects.filter(pk=1).update(storno_for_adjustments=True)


def test_it_posts_decreases_as_storno_on_the_original_side(books, storno):
    books.items("""
        BOLT,Hex bolt,DEFAULT,FIFO,
        NUT,Hex nut,DEFAULT,LIFO,
    """)
    books.base22("BOLT", prefix="BOLT-")
    books.base22("NUT", prefix="NUT-")

    books.close(CLOSE, "--specification", "item")

    # BOLT's sale got cheaper: its credit to 1400 and debit to 5000 shrink by 6.00 (red storno),
    # rather than a debit to 1400 and a credit to 5000. NUT's got dearer: ordinary lines.
    assert lines(closing_voucher()) == [
        ("1400", "DEFAULT", "BOLT", D("0.00"), D("-6.00"), True),
        ("1400", "DEFAULT", "NUT", D("0.00"), D("14.00"), False),
        ("5000", "DEFAULT", "BOLT", D("-6.00"), D("0.00"), True),
        ("5000", "DEFAULT", "NUT", D("14.00"), D("0.00"), False),
    ]
    assert unbalanced_vouchers() == []


def test_it_keeps_increases_and_storno_decreases_apart_with_specification_total(three_items, storno):
    three_items.close(CLOSE, "--specification", "total")

    assert lines(closing_voucher()) == [
        ("1400", None, None, D("0.00"), D("-12.00"), True),  # BOLT and SAW
        ("1400", None, None, D("0.00"), D("14.00"), False),  # NUT
        ("5000", None, None, D("-12.00"), D("0.00"), True),
        ("5000", None, None, D("14.00"), D("0.00"), False),
    ]


def posted_amounts(run: ClosingRun) -> list[tuple[str, str, D]]:
    return [(row.account.number, row.item_group.code, row.amount)
            for row in run.posted_amounts.select_related("account", "item_group").order_by("account__number", "item_group__code")]


def test_it_records_what_a_total_voucher_posted_per_item_group_and_the_reversal_the_opposite(three_items, storno):
    three_items.close(CLOSE, "--specification", "total")
    close = ClosingRun.objects.get(run_type=ClosingRun.RunType.CLOSING)

    # The lines above say 1400 -2.00 in all (storno -12.00 and 14.00); per item group that is
    # DEFAULT BOLT +6.00 NUT -14.00 and TOOLS SAW +6.00, net of storno.
    assert posted_amounts(close) == [
        ("1400", "DEFAULT", D("-8.00")), ("1400", "TOOLS", D("6.00")),
        ("5000", "DEFAULT", D("8.00")), ("5000", "TOOLS", D("-6.00"))]

    three_items.reverse()

    reversal = ClosingRun.objects.get(run_type=ClosingRun.RunType.REVERSAL)
    assert posted_amounts(reversal) == [(account, group, -value) for account, group, value in posted_amounts(close)]


def test_the_recorded_amounts_stay_what_the_voucher_carried_when_an_issue_is_invoiced_after_the_close(books):
    # FIFO-IPV BOLT: the close adjusts the physical issue I6 (+1.67) without posting it; I6 is
    # invoiced after the close. The voucher carried 6.00 on 1400, so must the recorded amounts.
    books.item("BOLT", "FIFO-IPV")
    books.base22("BOLT")
    books.close(CLOSE)
    close = ClosingRun.objects.get(run_type=ClosingRun.RunType.CLOSING)
    written = posted_amounts(close)
    books.post("I6,2026-02-03,BOLT,-1,,financial,,,")

    assert written == [("1400", "DEFAULT", D("6.00")), ("5000", "DEFAULT", D("-6.00"))]
    assert posted_amounts(close) == written


def test_it_cancels_the_turnover_when_a_storno_close_is_reversed(three_items, storno):
    before = turnover()

    three_items.close(CLOSE)
    assert turnover() != before
    three_items.reverse()

    # Storno undoes on the same side: debit and credit turnover are what they were, not both
    # inflated by a reversal on the opposite side.
    assert turnover() == before
    reversal = Voucher.objects.get(reverses__isnull=False)
    assert reversal.date == date(2026, 1, 31)
    assert unbalanced_vouchers() == []


def test_it_reverses_on_the_opposite_side_without_storno(three_items):
    before = turnover()

    three_items.close(CLOSE, "--specification", "item")
    three_items.reverse()

    # Each way: BOLT 6.00 + SAW 6.00 + NUT 14.00, once by the close and once by the reversal.
    after = turnover()
    for account in ("1400", "5000"):
        assert after[account] == (before[account][0] + D("26.00"), before[account][1] + D("26.00"))


def preview_accounts(out: str) -> dict[str, D]:
    """The "Ledger effect per account" block of close_inventory --preview."""
    block = out.split("Ledger effect per account:\n", 1)[1].split("Inventory value change per item group:", 1)[0]
    return {line.split()[0]: D(line.split()[-1]) for line in block.splitlines() if line.strip()}


@pytest.mark.parametrize("with_storno", [False, True])
def test_it_previews_what_the_close_posts_and_writes_nothing(three_items, with_storno):
    InventoryParameters.objects.filter(pk=1).update(storno_for_adjustments=with_storno)
    three_items.post("""
        SAW-R9,2026-01-20,SAW,2,40.00,physical,,,
        SAW-I9,2026-01-21,SAW,-4,,financial,,,
    """)
    before = (three_items.counts(), three_items.export())

    out = three_items.call("close_inventory", "--date", CLOSE, "--preview")

    assert out.startswith("Preview of a close up to 2026-01-31 (nothing written): 3 items,")
    assert (three_items.counts(), three_items.export()) == before
    previewed = preview_accounts(out)
    assert previewed and set(previewed) <= {"1400", "5000"}

    three_items.close(CLOSE)

    posted = {}
    for line in VoucherLine.objects.filter(voucher=closing_voucher()).select_related("account"):
        posted[line.account.number] = posted.get(line.account.number, D("0.00")) + line.debit - line.credit
    assert posted == previewed


def test_it_reverses_what_the_close_posted_even_after_a_physical_issue_is_invoiced(books):
    # With include physical value, the close adjusts the physical issue I6 by +1.67 without posting
    # it (a physical update reaches no ledger). I6 is invoiced in February, after the close: the
    # reversal must still take back only what the close's voucher carried, line by line.
    books.item("BOLT", "FIFO-IPV")
    books.base22("BOLT")
    books.close(CLOSE)
    close = ClosingRun.objects.get(run_type=ClosingRun.RunType.CLOSING)
    assert books.voucher_lines(close) == [("1400", D("6.00"), D("0.00"), False), ("5000", D("0.00"), D("6.00"), False)]
    books.post("I6,2026-02-03,BOLT,-1,,financial,,,")
    balance_before = books.balance("1400")

    books.reverse()

    reversal = ClosingRun.objects.get(run_type=ClosingRun.RunType.REVERSAL)
    assert reversal.voucher.reverses == close.voucher
    assert books.voucher_lines(reversal) == [("1400", D("0.00"), D("6.00"), False), ("5000", D("6.00"), D("0.00"), False)]
    assert books.balance("1400") == balance_before - D("6.00")
    assert unbalanced_vouchers() == []
