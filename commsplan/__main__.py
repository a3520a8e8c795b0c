from commsplan.cli import run

run()
