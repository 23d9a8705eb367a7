from relaydesk.cli import app

# The guard matters: replay's worker processes are spawned and re-import the main module.
if __name__ == "__main__":
    app(prog_name="relaydesk")
