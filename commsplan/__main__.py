from commsplan.cli.app import run

run()
