"""The chat app on 127.0.0.1 over the bundled corpus: `python app.py` (see README for settings)."""

from rag.config import load_settings, offline_environment

if __name__ == "__main__":
    offline_environment()
    from rag.app.ui import launch

    launch(load_settings())
