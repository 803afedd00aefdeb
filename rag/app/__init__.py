"""App surfaces: the Gradio chat window, the OpenAI-compatible API, the service both sit on, and
the HTML, Markdown and page images they show. Nothing below this stage knows a web framework.
"""
