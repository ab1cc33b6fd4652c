"""The form model: a spec, its rules, the layout of its workbook, the engine and the template."""
