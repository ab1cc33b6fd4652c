"""Narrative reports: the document model and its Word, HTML and Markdown renderings."""
