"""What the pipeline tells apps above it, without importing them.

`stage_entered(sender=StageMove, client=Client, move=StageMove)` is sent by `pipeline.services`
inside the transaction that moved the client (by hand or by a journey event); a receiver that acts
outside the database defers its work to commit (`transaction.on_commit` / `enqueue_on_commit`).
`stages_entered(sender=StageMove, clients=list[Client])` is the same for many clients entering the
first stage at once (`stages_start`, the client import).
The automations engine fires its "entered a stage" rules from them at once.
"""

from django.dispatch import Signal

stage_entered = Signal()
stages_entered = Signal()
