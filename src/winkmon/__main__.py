from winkmon.cli import run

run()
