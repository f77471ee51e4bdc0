"""Research exports of an analysed session: OpenSim OpenSense ``.sto`` files and Parquet tables
with units and session metadata (``winkmon research-export``)."""
