"""The Demo menu's choice of virtual sensors: one kind for both, or a pair (sacrum, L1).

:func:`demo_kind_entries` lists the kinds the demo can emulate (``winkmon`` first, then every
vendor kind :mod:`winkmon.drivers` knows, and other models of a kind such as the MetaMotion
S); :class:`PairDialog` asks for a sacrum kind and a
lumbar kind and gives ``SACRUM-KIND,LUMBAR-KIND`` as ``winkmon demo --sensor-kind`` takes it.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QWidget,
)


def demo_kind_entries() -> list[tuple[str, str]]:
    """``(kind, label)`` of every kind the demo can run on, winkmon's own sensor first."""
    from winkmon.drivers import KINDS, WINKMON_KIND
    from winkmon.virtual.kinds import MODEL_EMULATORS

    rest = sorted((k for k in KINDS if k != WINKMON_KIND), key=lambda k: KINDS[k].label)
    entries = [(k, KINDS[k].label) for k in (WINKMON_KIND, *rest)]
    # other models of a kind (the MetaMotion S beside the RL), right after their kind
    for name, (kind, _) in sorted(MODEL_EMULATORS.items()):
        at = next(i for i, (k, _) in enumerate(entries) if k == kind) + 1
        entries.insert(at, (name, KINDS[kind].label))
    return entries


class PairDialog(QDialog):
    """Asks which kind of sensor is on the sacrum and which on L1."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Demo: sensors of two kinds")
        form = QFormLayout(self)
        self.sacrum = QComboBox()
        self.lumbar = QComboBox()
        for kind, label in demo_kind_entries():
            self.sacrum.addItem(f"{label} ({kind})", kind)
            self.lumbar.addItem(f"{label} ({kind})", kind)
        form.addRow("Sacrum (S2):", self.sacrum)
        form.addRow("Lumbar (L1):", self.lumbar)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def set_kinds(self, sacrum: str, lumbar: str) -> None:
        self.sacrum.setCurrentIndex(self.sacrum.findData(sacrum))
        self.lumbar.setCurrentIndex(self.lumbar.findData(lumbar))

    def sensor_kind(self) -> str:
        """The choice as ``SACRUM-KIND,LUMBAR-KIND``."""
        return f"{self.sacrum.currentData()},{self.lumbar.currentData()}"


__all__ = ["PairDialog", "demo_kind_entries"]
