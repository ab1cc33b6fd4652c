Attribute VB_Name = "wbtool按钮"
' wbtool buttons for the self-evaluation workbook (see docs/excel.md).
' Import: Excel/WPS → 开发工具 → Visual Basic → 文件 → 导入文件 → this .bas; save as .xlsm;
' then assign 校验 / 计算 / 清除标注 to buttons on the 填报说明 sheet or the Quick Access Toolbar.
Option Explicit

' ---- Excel with the xlwings add-in: works on the open workbook, nothing is saved for you ----
Sub 校验()
    RunPython "import workbook_tools.live as l; l.button_validate()"
End Sub

Sub 计算()
    RunPython "import workbook_tools.live as l; l.button_fill()"
End Sub

Sub 清除标注()
    RunPython "import workbook_tools.live as l; l.button_clear()"
End Sub

' ---- WPS (or Excel without xlwings): save, run the CLI on the file, reopen it with the results ----
Private Sub RunOnSavedFile(verb As String)
    Dim f As String
    f = ThisWorkbook.FullName
    ThisWorkbook.Save
    ThisWorkbook.Close SaveChanges:=False      ' the CLI rewrites the file: release it first
    CreateObject("WScript.Shell").Run "cmd /c wbtool " & verb & " """ & f & """", 0, True
    Workbooks.Open f
End Sub

Sub 校验_保存后()
    RunOnSavedFile "mark"
End Sub

Sub 计算_保存后()
    RunOnSavedFile "fill"
End Sub

Sub 清除标注_保存后()
    RunOnSavedFile "clear"
End Sub
