Attribute VB_Name = "wbtool按钮"
' wbtool buttons for the self-evaluation workbook (see docs/excel.md).
' Import: Excel → 开发工具 → Visual Basic → 文件 → 导入文件 → this .bas; save the workbook as .xlsm;
' then assign 校验 / 计算 / 清除标注 to buttons on the 填报说明 sheet or the Quick Access Toolbar.
Option Explicit

' ---- Excel with the xlwings add-in: works on the open workbook, nothing is saved for you ----
Sub 校验()
    RunPython "import workbook_tools.files.live as l; l.button_validate()"
End Sub

Sub 计算()
    RunPython "import workbook_tools.files.live as l; l.button_fill()"
End Sub

Sub 清除标注()
    RunPython "import workbook_tools.files.live as l; l.button_clear()"
End Sub

' ---- Excel without xlwings: save, run wbtool on the saved file and WAIT for it, then show the result ----
' The workbook this macro lives in stays open the whole time (closing it would end the macro): wbtool writes
' a marked copy next to the file, and the result is shown from that copy. 清除标注 needs nothing written:
' the marks live in the copy only.
Private Function RunWbtool(args As String, ByRef output As String) As Long
    Dim sh As Object, ex As Object
    Set sh = CreateObject("WScript.Shell")
    Set ex = sh.Exec("cmd /c wbtool " & args & " 2>&1")
    Do While ex.Status = 0                     ' 0 = still running: wait for the command to finish
        DoEvents
        Application.Wait Now + TimeSerial(0, 0, 1) / 4
    Loop
    output = ex.StdOut.ReadAll
    RunWbtool = ex.ExitCode                    ' 0 通过, 1 有错误, 2 用法错误, 3 文件无法读取
End Function

Private Function CopyPath(kind As String) As String
    Dim f As String, dot As Long
    f = ThisWorkbook.FullName
    dot = InStrRev(f, ".")
    CopyPath = Left(f, dot - 1) & "." & kind & Mid(f, dot)     ' same extension: an .xlsm copy keeps its macros
End Function

Private Sub CloseCopyIfOpen(path As String)
    Dim wb As Workbook
    For Each wb In Workbooks
        If StrComp(wb.FullName, path, vbTextCompare) = 0 Then wb.Close SaveChanges:=False
    Next wb
End Sub

Sub 校验_保存后()
    Dim copyPath As String, out As String, code As Long
    ThisWorkbook.Save                          ' wbtool reads the saved file
    copyPath = CopyPath("校验结果")
    CloseCopyIfOpen copyPath
    code = RunWbtool("validate """ & ThisWorkbook.FullName & """ --annotate """ & copyPath & """", out)
    Select Case code
        Case 0
            MsgBox "校验通过。" & vbCrLf & out, vbInformation, "wbtool"
        Case 1
            Workbooks.Open copyPath            ' the marked copy opens beside this workbook
            MsgBox "发现问题，已在“校验结果”副本中标注：" & vbCrLf & copyPath, vbExclamation, "wbtool"
        Case Else
            MsgBox "wbtool 未能完成（退出码 " & code & "）：" & vbCrLf & out, vbCritical, "wbtool"
    End Select
End Sub

Sub 计算_保存后()
    Dim out As String, code As Long, copyPath As String
    ThisWorkbook.Save
    copyPath = CopyPath("计算结果")
    CloseCopyIfOpen copyPath
    code = RunWbtool("fill """ & ThisWorkbook.FullName & """ -o """ & copyPath & """", out)
    If code = 0 Or code = 1 Then
        Workbooks.Open copyPath                ' the filled copy; this workbook stays as it was
        MsgBox "已恢复公式并计算，结果在副本中：" & vbCrLf & copyPath, vbInformation, "wbtool"
    Else
        MsgBox "wbtool 未能完成（退出码 " & code & "）：" & vbCrLf & out, vbCritical, "wbtool"
    End If
End Sub

Sub 清除标注_保存后()
    CloseCopyIfOpen CopyPath("校验结果")
    MsgBox "标注只在“校验结果”副本中，本工作簿没有被改动。", vbInformation, "wbtool"
End Sub
