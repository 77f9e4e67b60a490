import threading
import time

import pytest

from lakehouse_inv.refine.job import after_parents, parents_within


def test_a_task_starts_only_after_the_tasks_it_waits_for_and_independent_tasks_overlap():
    log, lock = [], threading.Lock()
    both_running = threading.Barrier(2, timeout=5)

    def work(name, meet=False):
        def run():
            with lock:
                log.append(("start", name))
            if meet:  # sales and orders wait for each other here: they must run at the same time
                both_running.wait()
            time.sleep(0.01)
            with lock:
                log.append(("end", name))
            return name.upper()

        return run

    tasks = {
        "deliveries": (["orders"], work("deliveries")),
        "orders": (["store_product"], work("orders", meet=True)),
        "sales": (["store_product"], work("sales", meet=True)),
        "store_product": ([], work("store_product")),
    }
    assert after_parents(tasks) == {n: n.upper() for n in tasks}
    position = {event: i for i, event in enumerate(log)}
    for name, (deps, _) in tasks.items():
        for dep in deps:
            assert position[("end", dep)] < position[("start", name)]


def test_a_failed_parent_fails_its_children_and_spares_the_others():
    ran = []

    def boom():
        raise RuntimeError("orders broke")

    tasks = {
        "orders": ([], boom),
        "deliveries": (["orders"], lambda: ran.append("deliveries")),
        "sales": ([], lambda: ran.append("sales")),
    }
    with pytest.raises(RuntimeError, match="orders broke"):
        after_parents(tasks)
    assert ran == ["sales"]


def test_cycles_and_unknown_tasks_are_refused_before_anything_runs():
    ran = []
    with pytest.raises(ValueError, match="circular dependencies among \\['a', 'b'\\]"):
        after_parents({"a": (["b"], lambda: ran.append("a")), "b": (["a"], lambda: ran.append("b"))})
    with pytest.raises(ValueError, match="unknown tasks \\['nope'\\]"):
        after_parents({"a": (["nope"], lambda: ran.append("a"))})
    assert ran == []


def test_silver_tables_wait_for_the_tables_their_foreign_keys_reference():
    parents = parents_within(["stores", "products", "store_product", "sales", "orders", "deliveries"])
    assert parents["stores"] == set()
    assert parents["sales"] == {"products", "store_product", "stores"}
    assert "orders" in parents["deliveries"]
    assert "sales" not in parents["orders"]  # so orders need not wait for the day's sales
