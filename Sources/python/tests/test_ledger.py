"""The Python package against the `ledger` command: the same trace appended from Python and
imported by the CLI gives the same answers; threads; bad input; the store opens with the CLI."""

import json
import threading

import pytest

import campaign_ledger
from campaign_ledger import BadInput, Conflict, Ledger, NotFound, UsageError


def event(kind, campaign, at, **fields):
    return {"type": kind, "campaign": campaign, "at": at, **fields}


def small_campaign(name="spring", contacts=3):
    events = [event("campaign.created", name, "2026-11-20T09:00:00Z", channel="sms", name="Spring")]
    for i in range(contacts):
        events.append(event("contact.added", name, "2026-11-20T09:00:01Z", contact=f"c-{i}", address=f"+4206012345{i:02d}"))
    events.append(event("campaign.started", name, "2026-11-20T09:01:00Z"))
    return events


@pytest.fixture
def trace(tmp_path, cli):
    """A generated history (`ledger demo`) exported as JSON Lines."""
    demo = tmp_path / "demo"
    cli(["demo", "--store", str(demo), "--seed", "7", "--campaigns", "4", "--contacts", "250"])
    path = tmp_path / "trace.jsonl"
    cli(["export", "--output", str(path)], store=demo)
    return path


def test_trace_appended_in_batches_answers_as_the_cli_import(tmp_path, cli, trace):
    imported = tmp_path / "imported"
    cli(["import", str(trace)], store=imported)
    lines = trace.read_text().splitlines()
    assert len(lines) > 1000
    with Ledger(tmp_path / "python") as ledger:
        appended = 0
        for start in range(0, len(lines), 700):
            outcomes = ledger.append("\n".join(lines[start:start + 700]))
            assert len(outcomes) == len(lines[start:start + 700])
            appended += sum(o["outcome"] == "appended" for o in outcomes)
        assert appended == len(lines)

        def same(args, answer):
            expected = json.loads(cli([*args, "--json"], store=imported).stdout)
            assert answer == expected, args

        def same_or_not_found(args, ask):
            """The CLI's answer, or its exit 2 (not found) as NotFound with the same message."""
            result = cli([*args, "--json"], store=imported, check=False)
            if result.returncode == 2:
                with pytest.raises(NotFound) as raised:
                    ask()
                assert raised.value.message in result.stderr, args
                return
            assert result.returncode == 0, (args, result.stderr)
            assert ask() == json.loads(result.stdout), args

        campaigns = ledger.campaigns()
        same(["campaign", "list"], campaigns)
        assert len(campaigns) == 4
        same(["metrics"], ledger.metrics())
        for c in campaigns:
            name = c["campaign"]
            same(["campaign", "show", name], ledger.campaign(name))
            same(["metrics", name], ledger.metrics(name))
            contacts = ledger.contacts(name)
            same(["contact", "list", name], contacts)
            same(["contact", "list", name, "--limit", "5", "--after", contacts[10]["contact"]],
                 ledger.contacts(name, limit=5, after=contacts[10]["contact"]))
            for k in contacts[:: max(1, len(contacts) // 5)]:
                same(["contact", "show", name, k["contact"]], ledger.contact(name, k["contact"]))
            # Before the campaign was created (not found), at its creation, and at its start.
            for moment in ("2000-01-01T00:00:00Z", c["createdAt"], c["startedAt"]):
                if moment is None:
                    continue
                same_or_not_found(["campaign", "show", name, "--occurred-before", moment],
                                  lambda: ledger.campaign(name, occurred_before=moment))
                same_or_not_found(["contact", "list", name, "--occurred-before", moment],
                                  lambda: ledger.contacts(name, occurred_before=moment))
                same_or_not_found(["metrics", name, "--occurred-before", moment],
                                  lambda: ledger.metrics(name, occurred_before=moment))
            # History: the same events and effects; recordedAt, hash and the address's salt and
            # digest are each store's own.
            ours = ledger.history(name, contacts[0]["contact"])
            theirs = json.loads(cli(["history", name, contacts[0]["contact"], "--json"], store=imported).stdout)
            own = ("recordedAt", "hash", "addressSalt", "addressDigest")
            strip = lambda rows: [{k: v for k, v in r.items() if k not in own} for r in rows]
            assert strip(ours) == strip(theirs)
        # As of now, every answer is the current one.
        head = ledger.head()
        assert head["position"] == len(lines)
        moment = ledger.events(after=len(lines) // 2, limit=1)[0]["recordedAt"]
        # as_of depends on the store's own recordedAt: the CLI asked on the store Python made.
        for args, answer in ((["campaign", "list"], ledger.campaigns(as_of=moment)),
                             (["metrics"], ledger.metrics(as_of=moment))):
            expected = json.loads(cli([*args, "--as-of", moment, "--json"], store=tmp_path / "python").stdout)
            assert answer == expected, args
        assert ledger.head(as_of="2000-01-01T00:00:00Z")["position"] == 0
        events = ledger.events(after=10, limit=3)
        assert [e["position"] for e in events] == [11, 12, 13]


def test_two_threads_appending_at_once_lose_nothing(tmp_path):
    with Ledger(tmp_path / "store") as ledger:
        ledger.append(small_campaign(contacts=0))
        errors = []

        def work(thread):
            try:
                for batch in range(20):
                    ledger.append([event("contact.added", "spring", "2026-11-20T10:00:00Z",
                                         contact=f"t{thread}-{batch}-{i}", address="+420601000000")
                                   for i in range(25)])
            except Exception as error:  # surfaced below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
            assert not t.is_alive(), "an appending thread did not finish in 300 s"
        assert errors == []
        assert ledger.metrics("spring")["contacts"] == 2 * 20 * 25
        assert ledger.head()["position"] == 2 + 2 * 20 * 25
        assert len(ledger.contacts("spring")) == 1000


def test_a_bad_event_raises_with_the_line_message_and_appends_nothing(tmp_path):
    with Ledger(tmp_path / "store") as ledger:
        ledger.append(small_campaign())
        before = ledger.head()
        lines = "\n".join(json.dumps(e) for e in [
            event("contact.status", "spring", "2026-11-20T09:02:00Z", contact="c-0", status="sent"),
            event("contact.status", "spring", "2026-11-20T09:03:00Z", contact="c-1", status="sent"),
            event("contact.status", "spring", "2026-11-20T09:04:00Z", contact="c-2", status="teleported"),
        ])
        with pytest.raises(BadInput) as raised:
            ledger.append(lines)
        assert raised.value.message.startswith("line 3: status: ")
        assert "teleported" in raised.value.message
        assert raised.value.status == 65 and raised.value.kind == "bad_input"
        # A rule that needs the store (an unknown contact) names its line too.
        with pytest.raises(BadInput, match=r"^line 2: "):
            ledger.append(json.dumps(event("contact.added", "spring", "2026-11-20T09:05:00Z", contact="c-9", address="+1"))
                          + "\n" + json.dumps(event("contact.status", "spring", "2026-11-20T09:05:00Z", contact="ghost", status="sent")))
        # As a list: the event's index.
        with pytest.raises(BadInput, match=r"^event 1: "):
            ledger.append([{"type": "contact.status", "campaign": "spring"}])
        assert ledger.head() == before
        with pytest.raises(NotFound):
            ledger.contact("spring", "c-9")


def test_errors_carry_their_class(tmp_path):
    with pytest.raises(NotFound, match="no ledger at"):
        Ledger(tmp_path / "absent", create=False)
    with Ledger(tmp_path / "store") as ledger:
        ledger.append(small_campaign())
        with pytest.raises(NotFound) as raised:
            ledger.campaign("autumn")
        assert raised.value.status == 2 and "autumn" in raised.value.message
        with pytest.raises(UsageError, match="not both"):
            ledger.campaign("spring", as_of="2026-11-20T09:00:00Z", occurred_before="2026-11-20T09:00:00Z")
        with pytest.raises(UsageError, match="unknown state"):
            ledger.contacts("spring", state="happy")
        with pytest.raises(Conflict):
            ledger.append([event("contact.removed", "spring", "2026-11-20T09:09:00Z", contact="c-0")],
                          expect=[{"campaign": "spring", "contact": "c-0", "version": 99}])
        assert ledger.campaign("spring", occurred_before="2026-11-20T09:00:30Z")["status"] == "queued"
    with pytest.raises(UsageError, match="closed"):
        ledger.head()


def test_forget_erases_the_address_and_the_chain_still_verifies(tmp_path, cli):
    store = tmp_path / "store"
    with Ledger(store) as ledger:
        ledger.append(small_campaign(contacts=4))
        head = ledger.head()["position"]
        result = ledger.forget("spring", "c-1", reason="GDPR request 5521", actor="dpo:jana")
        assert result == {"forgotten": [{"campaign": "spring", "contact": "c-1", "position": head + 1, "addedPosition": 3}],
                          "alreadyForgotten": [], "parkedCallbacksDropped": 0, "stillInLog": []}
        shown = ledger.contact("spring", "c-1")
        assert shown["address"] is None and shown["forgotten"] is True
        assert ledger.contact("spring", "c-0")["address"] == "+420601234500"
        assert "forgotten" not in ledger.contact("spring", "c-0")
        erased = ledger.history("spring", "c-1")[-1]
        assert erased["type"] == "contact.forgotten" and erased["effect"] == "erased"
        assert ledger.verify()["ok"] is True
        # Twice: nothing appended.
        again = ledger.forget("spring", "c-1", reason="GDPR request 5521")
        assert again["forgotten"] == [] and again["alreadyForgotten"] == [{"campaign": "spring", "contact": "c-1"}]
        assert ledger.head()["position"] == head + 1
        # By address, written another way: spaces and dashes do not count.
        by_address = ledger.forget(address="+420 601-234 502", reason="GDPR request 5522")
        assert [(f["campaign"], f["contact"]) for f in by_address["forgotten"]] == [("spring", "c-2")]
        assert ledger.contact("spring", "c-2")["forgotten"] is True
        assert ledger.forget(address="+420601234502", reason="again")["forgotten"] == []
        assert ledger.forget(address="+999", reason="nobody has it") == {
            "forgotten": [], "alreadyForgotten": [], "parkedCallbacksDropped": 0, "stillInLog": []}
        # Refusals, nothing appended.
        before = ledger.head()
        with pytest.raises(TypeError):
            ledger.forget("spring", "c-3")
        with pytest.raises(UsageError, match="reason"):
            ledger.forget("spring", "c-3", reason="")
        with pytest.raises(UsageError, match="reason"):
            ledger.forget("spring", "c-3", reason=None)
        with pytest.raises(UsageError, match="campaign and contact, or address"):
            ledger.forget("spring", "c-3", address="+420601234503", reason="both")
        with pytest.raises(UsageError, match="campaign and contact, or address"):
            ledger.forget("spring", reason="no contact")
        with pytest.raises(UsageError, match="address"):
            ledger.forget(address="", reason="empty")
        with pytest.raises(NotFound, match="ghost"):
            ledger.forget("spring", "ghost", reason="unknown")
        assert ledger.head() == before
        assert ledger.verify()["ok"] is True
    # The CLI sees the erasure and verifies the store.
    assert "ok: " in cli(["verify"], store=store).stdout
    assert json.loads(cli(["contact", "show", "spring", "c-2", "--json"], store=store).stdout)["address"] is None


def test_store_made_from_python_opens_with_the_cli_and_verifies(tmp_path, cli):
    store = tmp_path / "store"
    with Ledger(store) as ledger:
        ledger.append(small_campaign(contacts=5))
        ledger.append("\n".join(json.dumps(event("contact.status", "spring", "2026-11-20T09:02:00Z", contact=f"c-{i}", status="delivered"))
                                for i in range(5)))
        assert ledger.verify()["ok"] is True
        mine = ledger.campaign("spring")
    result = cli(["verify"], store=store)
    assert "ok: 12 events" in result.stdout
    assert json.loads(cli(["campaign", "show", "spring", "--json"], store=store).stdout) == mine


def test_version_and_library():
    assert campaign_ledger.version() == "0.1.0"
    assert campaign_ledger.library_path().endswith("libCampaignLedgerC.so")
