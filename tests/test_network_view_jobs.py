"""The network view's waiting update (app/gui/network_view.py): an update made directly, as a
benchmark does, leaves no job behind to run after its window is gone ("invalid command name")."""
from __future__ import annotations

from fixtures import window_in_process


def test_an_update_made_directly_leaves_no_job_waiting(display, models_dir):
    with window_in_process(models_dir) as (root, app, errors):
        root.update()
        app.open_network_view()
        view = app.network_view
        root.update()
        view.follow(app.predictor.model, None)   # a reading comes: an update waits...
        job = view._pending
        assert job is not None and job in root.tk.splitlist(root.tk.call("after", "info"))
        view.update()                            # ...and is made now: none waits any more
        assert view._pending is None and job not in root.tk.splitlist(root.tk.call("after", "info"))
        view.close()
    assert errors == []
