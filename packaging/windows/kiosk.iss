; Inno Setup script for Kiosk on Windows 10/11 (x64). Built on a Windows machine:
;   iscc /DAppVersion=1.2.3 /DSignCmd="signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a $f" packaging\windows\kiosk.iss
; after `bash packaging/build.sh` (Git Bash) has made dist\kiosk\. See packaging/windows/README.md.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6E0A3C52-7C1B-4B47-9A63-3C1A9F0D2B11}
AppName=Kiosk
AppVersion={#AppVersion}
AppPublisher=Kiosk
DefaultDirName={autopf}\Kiosk
DefaultGroupName=Kiosk
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin
OutputDir=..\..\dist
OutputBaseFilename=kiosk-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\kiosk.exe
#ifdef SignCmd
SignTool=kiosksign
SignedUninstaller=yes
#endif

[Files]
; The PyInstaller one-folder bundle: kiosk.exe, _internal\ (Qt, OpenCV, the zbar and iconv DLLs).
Source: "..\..\dist\kiosk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; Microsoft's Visual C++ runtime, which Python, Qt and OpenCV link to; installed only when missing.
Source: "vc_redist.x64.exe"; DestDir: "{tmp}"; Flags: deleteafterinstall; Check: VCRuntimeMissing
Source: "shell-launcher.xml"; DestDir: "{app}\kiosk-setup"; Flags: ignoreversion
Source: "..\etc\settings.toml"; DestDir: "{commonappdata}\Kiosk"; Flags: onlyifdoesntexist uninsneveruninstall

[Dirs]
; The machine-wide settings; each user's own data stays in their profile and is never removed.
Name: "{commonappdata}\Kiosk"; Permissions: users-readexec admins-full

[Icons]
Name: "{group}\Kiosk"; Filename: "{app}\kiosk.exe"
Name: "{autodesktop}\Kiosk"; Filename: "{app}\kiosk.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "A desktop shortcut for the cashier"; Flags: unchecked

[Run]
Filename: "{tmp}\vc_redist.x64.exe"; Parameters: "/install /quiet /norestart"; StatusMsg: "Installing the Visual C++ runtime..."; Check: VCRuntimeMissing; Flags: waituntilterminated
Filename: "{app}\kiosk.exe"; Parameters: "doctor"; Description: "Check this terminal (kiosk doctor)"; Flags: postinstall nowait skipifsilent unchecked

[Code]
function VCRuntimeMissing: Boolean;
var
  Installed: Cardinal;
begin
  Result := not (RegQueryDWordValue(HKLM64, 'SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64', 'Installed', Installed) and (Installed = 1));
end;
