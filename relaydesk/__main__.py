from relaydesk.cli import app

app(prog_name="relaydesk")
