#!powershell

# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# Live Windows collector of fleetsec.banned_av (called by the av_facts action plugin).
#
# It returns the "raw inventory" of docs/architecture.md under the result key 'inventory'. It only
# reads: no key, file, service or process is changed, so check mode needs no special handling.
# The probe (derived from the catalogue on the controller) is used ONLY to filter what is read,
# to keep the result small. Deciding what is a finding is the controller's job, not this module's.
#
# Every source runs in its own try/catch: a failure is appended to 'errors' as {source, message}
# and the other sources carry on. A source that was deliberately not read goes to 'skipped'.
#
# Win32_Product is never queried. Enumerating it makes Windows Installer run a consistency check
# of every MSI product on the host (which can start repairs and logs an MsiInstaller event per
# product), and it is slow. The Uninstall registry keys give the same data with no side effects.

$spec = @{
    options = @{
        probe = @{ type = 'dict'; required = $true }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$ErrorActionPreference = 'Stop'

# Bounds that keep the result small and the run short, whatever the probe asks for.
$maxKeysPerPattern = 64     # registry keys returned for one registry/signature_keys pattern
$maxWildcardSegments = 4    # wildcard segments allowed in one registry key pattern
$maxValuesPerKey = 128      # values returned for one registry key
$maxMultiStrings = 64       # strings returned for one REG_MULTI_SZ value
$maxBinaryBytes = 512       # longer REG_BINARY values are summarised, not dumped
$regexTimeout = [TimeSpan]::FromSeconds(2)
$regexOptions = [System.Text.RegularExpressions.RegexOptions]'IgnoreCase, CultureInvariant'
$wildcardOptions = [System.Management.Automation.WildcardOptions]'IgnoreCase, CultureInvariant'

$errors = [System.Collections.Generic.List[Object]]@()
$skipped = [System.Collections.Generic.List[Object]]@()

Function Add-SourceError {
    param (
        [Parameter(Mandatory = $true)][String]$Source,
        [Parameter(Mandatory = $true)][String]$Message
    )
    $errors.Add(@{ source = $Source; message = $Message })
}

Function Add-SkippedSource {
    param (
        [Parameter(Mandatory = $true)][String]$Source,
        [Parameter(Mandatory = $true)][String]$Reason
    )
    $skipped.Add(@{ source = $Source; reason = $Reason })
}

Function Get-ProbeList {
    <#
    .SYNOPSIS
    Returns probe.<Name> as a list of non-empty strings (an absent key is an empty list).
    #>
    param ([Parameter(Mandatory = $true)][String]$Name)

    $list = [System.Collections.Generic.List[String]]@()
    $value = $probe[$Name]
    if ($null -eq $value) {
        return , $list
    }
    if ($value -is [String]) {
        $value = @($value)
    }
    elseif ($value -is [System.Collections.IDictionary] -or $value -isnot [System.Collections.IEnumerable]) {
        $module.FailJson("probe.$Name must be a list of strings, got $($value.GetType().FullName)")
    }
    foreach ($item in $value) {
        if ($null -eq $item) {
            continue
        }
        if ($item -is [System.Collections.IDictionary] -or ($item -isnot [String] -and $item -is [System.Collections.IEnumerable])) {
            $module.FailJson("probe.$Name must be a list of strings, found an entry of type $($item.GetType().FullName)")
        }
        $text = [String]$item
        if ($text -ne '') {
            $list.Add($text)
        }
    }
    return , $list
}

Function New-RegexList {
    <#
    .SYNOPSIS
    Compiles the probe.<Name> regular expressions (case-insensitive, like the controller's
    re.search with re.I). An expression .NET cannot compile is reported and ignored.
    #>
    param ([Parameter(Mandatory = $true)][String]$Name)

    $list = [System.Collections.Generic.List[System.Text.RegularExpressions.Regex]]@()
    $patterns = Get-ProbeList -Name $Name
    foreach ($pattern in $patterns) {
        try {
            $list.Add([System.Text.RegularExpressions.Regex]::new($pattern, $regexOptions, $regexTimeout))
        }
        catch {
            $msg = "probe.$Name pattern '$pattern' is not a valid .NET regular expression and was ignored: $($_.Exception.Message)"
            Add-SourceError -Source 'probe' -Message $msg
        }
    }
    return , $list
}

Function New-WildcardList {
    <#
    .SYNOPSIS
    Builds case-insensitive wildcard patterns (same meaning as -like) from probe.<Name>.
    #>
    param ([Parameter(Mandatory = $true)][String]$Name)

    $list = [System.Collections.Generic.List[System.Management.Automation.WildcardPattern]]@()
    $patterns = Get-ProbeList -Name $Name
    foreach ($pattern in $patterns) {
        try {
            $wildcard = [System.Management.Automation.WildcardPattern]::new($pattern, $wildcardOptions)
            $null = $wildcard.IsMatch('')  # the pattern is parsed on first use: fail here, not later
            $list.Add($wildcard)
        }
        catch {
            $msg = "probe.$Name pattern '$pattern' is not a valid wildcard pattern and was ignored: $($_.Exception.Message)"
            Add-SourceError -Source 'probe' -Message $msg
        }
    }
    return , $list
}

Function Test-RegexList {
    param (
        [AllowNull()][AllowEmptyString()][String]$Value,
        [System.Text.RegularExpressions.Regex[]]$Regex
    )

    if ([String]::IsNullOrEmpty($Value)) {
        return $false
    }
    foreach ($expression in $Regex) {
        try {
            if ($expression.IsMatch($Value)) {
                return $true
            }
        }
        catch [System.Text.RegularExpressions.RegexMatchTimeoutException] {
            Add-SourceError -Source 'probe' -Message "pattern '$expression' timed out on '$Value' and was treated as no match"
        }
    }
    return $false
}

Function Test-WildcardList {
    param (
        [AllowNull()][AllowEmptyString()][String]$Value,
        [System.Management.Automation.WildcardPattern[]]$Pattern
    )

    if ([String]::IsNullOrEmpty($Value)) {
        return $false
    }
    foreach ($wildcard in $Pattern) {
        if ($wildcard.IsMatch($Value)) {
            return $true
        }
    }
    return $false
}

Function Get-RegistryString {
    <#
    .SYNOPSIS
    Reads a value as a string (REG_EXPAND_SZ expanded), $null when absent or empty.
    #>
    param (
        [Parameter(Mandatory = $true)][Microsoft.Win32.RegistryKey]$Key,
        [Parameter(Mandatory = $true)][String]$Name,
        [Switch]$DoNotExpand
    )

    $options = [Microsoft.Win32.RegistryValueOptions]::None
    if ($DoNotExpand) {
        $options = [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames
    }
    $value = $Key.GetValue($Name, $null, $options)
    if ($null -eq $value) {
        return $null
    }
    if ($value -is [String[]]) {
        # a REG_MULTI_SZ where a string is expected
        $value = $value -join ' '
    }
    elseif ($value -is [Byte[]]) {
        return $null
    }
    $text = ([String]$value).TrimEnd([char]0)
    if ($text -eq '') {
        return $null
    }
    return $text
}

Function Get-RegistryInteger {
    <#
    .SYNOPSIS
    Reads a REG_DWORD/REG_QWORD (or a numeric string) as an Int64, $null when absent.
    #>
    param (
        [Parameter(Mandatory = $true)][Microsoft.Win32.RegistryKey]$Key,
        [Parameter(Mandatory = $true)][String]$Name
    )

    $value = $Key.GetValue($Name, $null)
    if ($value -is [Int32] -or $value -is [Int64]) {
        return [Int64]$value
    }
    $parsed = [Int64]0
    if ($value -is [String] -and [Int64]::TryParse($value, [ref]$parsed)) {
        return $parsed
    }
    return $null
}

Function ConvertFrom-RegistryValue {
    <#
    .SYNOPSIS
    Returns one registry value as JSON-friendly data: REG_SZ and REG_EXPAND_SZ as the stored string
    (not expanded), REG_DWORD and REG_QWORD as unsigned integers, REG_MULTI_SZ as a list of strings,
    anything else as a lowercase hex string.
    #>
    param (
        [Parameter(Mandatory = $true)][Microsoft.Win32.RegistryKey]$Key,
        [Parameter(Mandatory = $true)][AllowEmptyString()][String]$Name
    )

    $kind = $Key.GetValueKind($Name)
    $value = $Key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    if ($null -eq $value) {
        return $null
    }

    switch ($kind.ToString()) {
        'String' {
            return [String]$value
        }
        'ExpandString' {
            return [String]$value
        }
        'DWord' {
            # .NET returns REG_DWORD as a signed Int32; 0xFFFFFFFF (LastSuccessfulUpdate "never")
            # must stay 4294967295, not become -1.
            return [BitConverter]::ToUInt32([BitConverter]::GetBytes([Int32]$value), 0)
        }
        'QWord' {
            return [BitConverter]::ToUInt64([BitConverter]::GetBytes([Int64]$value), 0)
        }
        'MultiString' {
            $strings = [String[]]$value
            if ($strings.Length -gt $maxMultiStrings) {
                $strings = [String[]]$strings[0..($maxMultiStrings - 1)]
            }
            return , $strings
        }
        default {
            # REG_BINARY, REG_NONE and the kinds .NET does not know are all returned as bytes.
            $bytes = [Byte[]]$value
            if ($bytes.Length -gt $maxBinaryBytes) {
                return ('<{0} bytes of {1} data not returned>' -f $bytes.Length, $kind)
            }
            return [BitConverter]::ToString($bytes).Replace('-', '').ToLowerInvariant()
        }
    }
}

Function Get-RegistryKeyValue {
    <#
    .SYNOPSIS
    Returns the values of one key as a hashtable name -> value. The default value is named
    '(default)', as the offline image reader (module_utils/windows_offline.py) names it.
    #>
    param (
        [Parameter(Mandatory = $true)][Microsoft.Win32.RegistryKey]$Key,
        [Parameter(Mandatory = $true)][String]$Path
    )

    $values = @{}
    $names = @($Key.GetValueNames())
    if ($names.Count -gt $maxValuesPerKey) {
        Add-SourceError -Source 'registry' -Message "$Path has $($names.Count) values; only the first $maxValuesPerKey are returned"
        $names = @($names[0..($maxValuesPerKey - 1)])
    }
    foreach ($name in $names) {
        $label = if ($name -eq '') { '(default)' } else { $name }
        try {
            $values[$label] = ConvertFrom-RegistryValue -Key $Key -Name $name
        }
        catch {
            Add-SourceError -Source 'registry' -Message "$Path value '$name': $($_.Exception.Message)"
        }
    }
    return $values
}

Function Join-RegistryPath {
    param (
        [AllowEmptyString()][String]$Parent,
        [Parameter(Mandatory = $true)][String]$Child
    )

    if ($Parent -eq '') {
        return $Child
    }
    return "$Parent\$Child"
}

Function Get-SubKeyName {
    <#
    .SYNOPSIS
    Returns the subkey names of HiveName\Path (empty when the key does not exist), listed once per
    run: several patterns expand under the same keys (HKLM\SOFTWARE holds the large Classes key).
    #>
    param (
        [Parameter(Mandatory = $true)][String]$HiveName,
        [AllowEmptyString()][String]$Path
    )

    $cacheKey = "$HiveName\$Path"
    if ($subKeyNameCache.ContainsKey($cacheKey)) {
        return , $subKeyNameCache[$cacheKey]
    }
    $root = $registryRoots[$HiveName]
    $names = [String[]]@()
    if ($Path -eq '') {
        $names = $root.GetSubKeyNames()
    }
    else {
        $key = $root.OpenSubKey($Path, $false)
        if ($null -ne $key) {
            try {
                $names = $key.GetSubKeyNames()
            }
            finally {
                $key.Dispose()
            }
        }
    }
    $subKeyNameCache[$cacheKey] = $names
    return , $names
}

Function Resolve-RegistryPattern {
    <#
    .SYNOPSIS
    Expands a key pattern such as HKLM\SOFTWARE\WOW6432Node\KasperskyLab\protected\KES* into the
    paths ('HKLM\...' or 'HKU\...') of the keys that exist.

    .DESCRIPTION
    A wildcard segment matches the name of a subkey of the keys found so far. The controller
    matches keys with fnmatch, where '*' also crosses '\', so a wildcard segment that is not the
    last one may also match two levels ('subkey\subsubkey'): 'HKLM\SOFTWARE\*KasperskyLab\...' finds
    both KasperskyLab and WOW6432Node\KasperskyLab. That is the same rule as the offline image
    reader (module_utils/windows_offline.py). Nothing deeper is ever walked: the last segment
    matches one level, and a vendor tree is never listed recursively.
    #>
    param ([Parameter(Mandatory = $true)][String]$Pattern)

    $found = [System.Collections.Generic.List[String]]@()
    $normalised = ($Pattern.Trim() -replace '^Registry::', '') -replace '/', '\'
    $segments = @($normalised.Split([char[]]@('\'), [System.StringSplitOptions]::RemoveEmptyEntries))
    if ($segments.Count -lt 2) {
        Add-SourceError -Source 'registry' -Message "'$Pattern' is not a registry key pattern (expected HKLM\<key> or HKU\<key>)"
        return , $found
    }

    $hive = $segments[0].TrimEnd(':').ToUpperInvariant()
    if ($hive -in @('HKLM', 'HKEY_LOCAL_MACHINE')) {
        $hiveName = 'HKLM'
    }
    elseif ($hive -in @('HKU', 'HKEY_USERS')) {
        $hiveName = 'HKU'
    }
    else {
        Add-SourceError -Source 'registry' -Message "'$Pattern': only HKLM and HKU keys are read"
        return , $found
    }
    $wildcardSegments = @($segments | Where-Object { [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($_) })
    if ($wildcardSegments.Count -gt $maxWildcardSegments) {
        Add-SourceError -Source 'registry' -Message "'$Pattern' has more than $maxWildcardSegments wildcard levels and was not read"
        return , $found
    }

    $current = [System.Collections.Generic.List[String]]@('')
    $truncated = $false
    for ($i = 1; $i -lt $segments.Count; $i++) {
        $segment = $segments[$i]
        $last = $i -eq ($segments.Count - 1)
        $next = [System.Collections.Generic.List[String]]@()

        if (-not [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($segment)) {
            foreach ($parent in $current) {
                $next.Add((Join-RegistryPath -Parent $parent -Child $segment))
            }
        }
        else {
            $wildcard = [System.Management.Automation.WildcardPattern]::new($segment, $wildcardOptions)
            foreach ($parent in $current) {
                if ($truncated) {
                    break
                }
                try {
                    foreach ($child in (Get-SubKeyName -HiveName $hiveName -Path $parent)) {
                        $childPath = Join-RegistryPath -Parent $parent -Child $child
                        $candidates = [System.Collections.Generic.List[String]]@()
                        if ($wildcard.IsMatch($child)) {
                            $candidates.Add($childPath)
                        }
                        if (-not $last) {
                            try {
                                foreach ($grandchild in (Get-SubKeyName -HiveName $hiveName -Path $childPath)) {
                                    if ($wildcard.IsMatch("$child\$grandchild")) {
                                        $candidates.Add("$childPath\$grandchild")
                                    }
                                }
                            }
                            catch {
                                # a subkey this account may not list: it cannot hold a match
                                $null = $_
                            }
                        }
                        foreach ($candidate in $candidates) {
                            if ($next.Count -ge $maxKeysPerPattern) {
                                $truncated = $true
                                break
                            }
                            $next.Add($candidate)
                        }
                        if ($truncated) {
                            break
                        }
                    }
                }
                catch {
                    Add-SourceError -Source 'registry' -Message "$hiveName\${parent}: $($_.Exception.Message)"
                }
            }
        }

        $current = $next
        if ($current.Count -eq 0) {
            break
        }
    }

    if ($truncated) {
        Add-SourceError -Source 'registry' -Message "'$Pattern' matched more than $maxKeysPerPattern keys; only the first $maxKeysPerPattern are returned"
    }
    foreach ($path in $current) {
        $found.Add("$hiveName\$path")
    }
    return , $found
}

Function Add-UninstallEntry {
    <#
    .SYNOPSIS
    Adds to $Result the entries of one Uninstall key whose DisplayName or Publisher matches a probe
    regular expression. Nothing else is returned: this is a targeted read, not a software inventory.
    #>
    param (
        [Parameter(Mandatory = $true)][Microsoft.Win32.RegistryKey]$Root,
        [Parameter(Mandatory = $true)][String]$SubKey,
        [Parameter(Mandatory = $true)][String]$Hive,
        [Parameter(Mandatory = $true)][String]$View,
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][System.Collections.Generic.List[Object]]$Result
    )

    $where = '{0}\{1}' -f $Root.Name, $SubKey
    $uninstallKey = $null
    $names = @()
    try {
        $uninstallKey = $Root.OpenSubKey($SubKey, $false)
        if ($null -ne $uninstallKey) {
            $names = $uninstallKey.GetSubKeyNames()
        }
    }
    catch {
        Add-SourceError -Source 'uninstall' -Message "${where}: $($_.Exception.Message)"
    }
    if ($null -eq $uninstallKey) {
        return
    }
    try {
        foreach ($name in $names) {
            $entry = $null
            try {
                $entry = $uninstallKey.OpenSubKey($name, $false)
                if ($null -eq $entry) {
                    continue
                }
                # Values as stored (-DoNotExpand), as the offline image reader returns them: a
                # REG_EXPAND_SZ must not be expanded with this session's environment (the WinRM
                # user's %USERPROFILE% in another user's entry; %ProgramFiles% is Program Files
                # (x86) in a 32-bit host process).
                $displayName = Get-RegistryString -Key $entry -Name 'DisplayName' -DoNotExpand
                $publisher = Get-RegistryString -Key $entry -Name 'Publisher' -DoNotExpand
                $wanted = Test-RegexList -Value $displayName -Regex $displayNameRegex
                if (-not $wanted) {
                    $wanted = Test-RegexList -Value $publisher -Regex $publisherRegex
                }
                if (-not $wanted) {
                    continue
                }
                $Result.Add([Ordered]@{
                        hive = $Hive
                        view = $View
                        key = $name
                        display_name = $displayName
                        display_version = Get-RegistryString -Key $entry -Name 'DisplayVersion' -DoNotExpand
                        publisher = $publisher
                        install_location = Get-RegistryString -Key $entry -Name 'InstallLocation' -DoNotExpand
                        uninstall_string = Get-RegistryString -Key $entry -Name 'UninstallString' -DoNotExpand
                        quiet_uninstall_string = Get-RegistryString -Key $entry -Name 'QuietUninstallString' -DoNotExpand
                        windows_installer = ((Get-RegistryInteger -Key $entry -Name 'WindowsInstaller') -eq 1)
                    })
            }
            catch {
                Add-SourceError -Source 'uninstall' -Message "$where\${name}: $($_.Exception.Message)"
            }
            finally {
                if ($null -ne $entry) {
                    $entry.Dispose()
                }
            }
        }
    }
    finally {
        $uninstallKey.Dispose()
    }
}

Function Get-CimPropertyValue {
    <#
    .SYNOPSIS
    Reads a CIM property that may not exist on this Windows build ($null instead of an error).
    #>
    param (
        [Parameter(Mandatory = $true)][Object]$InputObject,
        [Parameter(Mandatory = $true)][String]$Name
    )

    try {
        $property = $InputObject.CimInstanceProperties[$Name]
    }
    catch {
        return $null
    }
    if ($null -eq $property) {
        return $null
    }
    return $property.Value
}

Function ConvertTo-UtcString {
    param ([AllowNull()][Object]$Value)

    if ($Value -isnot [DateTime]) {
        return $null
    }
    return $Value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [System.Globalization.CultureInfo]::InvariantCulture)
}

Function ConvertTo-NullableBool {
    param ([AllowNull()][Object]$Value)

    if ($null -eq $Value) {
        return $null
    }
    return [bool]$Value
}

# ---------------------------------------------------------------------------------------- probe
$probe = @{}
foreach ($entry in $module.Params.probe.GetEnumerator()) {
    $probe[$entry.Key] = $entry.Value
}

$displayNameRegex = New-RegexList -Name 'display_name'
$publisherRegex = New-RegexList -Name 'publisher'
$securityCenterRegex = New-RegexList -Name 'security_center'
$serviceWildcards = New-WildcardList -Name 'services'
$driverWildcards = New-WildcardList -Name 'drivers'
$processWildcards = New-WildcardList -Name 'processes'
$fileSystemPatterns = [System.Collections.Generic.List[String]]@()
$fileSystemPatterns.AddRange((Get-ProbeList -Name 'files'))
$fileSystemPatterns.AddRange((Get-ProbeList -Name 'paths'))
$registryPatterns = [System.Collections.Generic.List[String]]@()
$registryPatterns.AddRange((Get-ProbeList -Name 'registry'))
$registryPatterns.AddRange((Get-ProbeList -Name 'signature_keys'))

# A 32-bit PowerShell on 64-bit Windows sees SysWOW64 in place of System32; Sysnative reaches the
# real directory. The registry is opened through the 64-bit view explicitly, so it is not affected.
$fileSystemRedirected = [Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess
$system32 = Join-Path -Path $env:SystemRoot -ChildPath 'System32'
$sysnative = Join-Path -Path $env:SystemRoot -ChildPath 'Sysnative'

$hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
$hku = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::Users, [Microsoft.Win32.RegistryView]::Registry64)
$registryRoots = @{ HKLM = $hklm; HKU = $hku }
$subKeyNameCache = @{}

$os = [Ordered]@{ name = $null; family = 'windows'; version = $null; installation_type = $null }
$uninstall = [System.Collections.Generic.List[Object]]@()
$services = [System.Collections.Generic.List[Object]]@()
$paths = [System.Collections.Generic.List[Object]]@()
$processes = [System.Collections.Generic.List[Object]]@()
$registry = [System.Collections.Generic.List[Object]]@()
$securityCenter = [System.Collections.Generic.List[Object]]@()
$defender = $null

try {
    # ------------------------------------------------------------------------------------- os
    try {
        $win32Os = Get-CimInstance -ClassName Win32_OperatingSystem -Property @('Caption', 'Version', 'ProductType') -ErrorAction Stop
        $os.name = ([String]$win32Os.Caption).Trim()
        $os.version = [String]$win32Os.Version
        # ProductType: 1 workstation, 2 domain controller, 3 server
        $productType = [int]$win32Os.ProductType
        if ($productType -eq 1) {
            $os.installation_type = 'Client'
        }
        elseif ($productType -in @(2, 3)) {
            $os.installation_type = 'Server'
        }
    }
    catch {
        Add-SourceError -Source 'os' -Message "Win32_OperatingSystem: $($_.Exception.Message)"
        # Fall back on the registry, which does not need WMI.
        $currentVersion = $null
        try {
            $currentVersion = $hklm.OpenSubKey('SOFTWARE\Microsoft\Windows NT\CurrentVersion', $false)
            if ($null -ne $currentVersion) {
                $os.name = Get-RegistryString -Key $currentVersion -Name 'ProductName'
                $major = Get-RegistryInteger -Key $currentVersion -Name 'CurrentMajorVersionNumber'
                $minor = Get-RegistryInteger -Key $currentVersion -Name 'CurrentMinorVersionNumber'
                $build = Get-RegistryString -Key $currentVersion -Name 'CurrentBuildNumber'
                if ($null -ne $major -and $null -ne $minor -and $null -ne $build) {
                    $os.version = '{0}.{1}.{2}' -f $major, $minor, $build
                }
                else {
                    $os.version = Get-RegistryString -Key $currentVersion -Name 'CurrentVersion'
                }
                # InstallationType: Client, Server, Server Core, Nano Server
                $installationType = Get-RegistryString -Key $currentVersion -Name 'InstallationType'
                if ($installationType -eq 'Client') {
                    $os.installation_type = 'Client'
                }
                elseif ($installationType -like '*Server*') {
                    $os.installation_type = 'Server'
                }
            }
        }
        catch {
            Add-SourceError -Source 'os' -Message "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion: $($_.Exception.Message)"
        }
        finally {
            if ($null -ne $currentVersion) {
                $currentVersion.Dispose()
            }
        }
    }

    # ------------------------------------------------------------------------------ uninstall
    if ($displayNameRegex.Count -eq 0 -and $publisherRegex.Count -eq 0) {
        Add-SkippedSource -Source 'uninstall' -Reason 'the probe has no display_name or publisher pattern'
    }
    else {
        # Each call reports its own failures, so one unreadable view does not hide the other.
        $uninstallPath = 'Microsoft\Windows\CurrentVersion\Uninstall'
        if ([Environment]::Is64BitOperatingSystem) {
            Add-UninstallEntry -Root $hklm -SubKey "SOFTWARE\$uninstallPath" -Hive 'HKLM' -View '64' -Result $uninstall
            Add-UninstallEntry -Root $hklm -SubKey "SOFTWARE\WOW6432Node\$uninstallPath" -Hive 'HKLM' -View '32' -Result $uninstall
        }
        else {
            # 32-bit Windows: the native view is the 32-bit one and there is no WOW6432Node.
            Add-UninstallEntry -Root $hklm -SubKey "SOFTWARE\$uninstallPath" -Hive 'HKLM' -View '32' -Result $uninstall
        }

        # Per-user installs live in each user's hive. Only loaded hives (users logged on, services)
        # are read: loading the hive of a logged-off user would change the host.
        try {
            $loadedSids = [System.Collections.Generic.HashSet[String]]::new([System.StringComparer]::OrdinalIgnoreCase)
            foreach ($sid in $hku.GetSubKeyNames()) {
                # <SID>_Classes is the user's Classes hive (no Uninstall key in it); .DEFAULT is the
                # LocalSystem hive again, already read as S-1-5-18.
                if ($sid -like '*_Classes' -or $sid -eq '.DEFAULT') {
                    continue
                }
                $null = $loadedSids.Add($sid)
                Add-UninstallEntry -Root $hku -SubKey "$sid\Software\$uninstallPath" -Hive "HKU\$sid" -View 'user' -Result $uninstall
            }

            $profileList = $hklm.OpenSubKey('SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList', $false)
            if ($null -ne $profileList) {
                try {
                    foreach ($sid in $profileList.GetSubKeyNames()) {
                        # local and domain accounts (S-1-5-21-...) and Entra ID accounts (S-1-12-1-...)
                        if ($sid -match '^S-1-(5-21|12-1)-[0-9-]+$' -and -not $loadedSids.Contains($sid)) {
                            $reason = 'user hive not loaded (user not logged on): the per-user Uninstall entries of this profile were not read'
                            Add-SkippedSource -Source "uninstall:HKU\$sid" -Reason $reason
                        }
                    }
                }
                finally {
                    $profileList.Dispose()
                }
            }
        }
        catch {
            Add-SourceError -Source 'uninstall' -Message "HKU: $($_.Exception.Message)"
        }
    }

    # --------------------------------------------------------------------- services and drivers
    if ($serviceWildcards.Count -eq 0 -and $driverWildcards.Count -eq 0) {
        Add-SkippedSource -Source 'services' -Reason 'the probe has no services or drivers pattern'
    }
    else {
        # Live state and resolved display names from the Service Control Manager, by name.
        $scmState = @{}
        $scmDisplayName = @{}
        try {
            foreach ($controller in @(Get-Service -ErrorAction SilentlyContinue)) {
                $scmState[$controller.ServiceName] = $controller.Status.ToString()
                $scmDisplayName[$controller.ServiceName] = $controller.DisplayName
            }
            # Get-Service lists Win32 services only; drivers come from GetDevices().
            foreach ($controller in [System.ServiceProcess.ServiceController]::GetDevices()) {
                $scmState[$controller.ServiceName] = $controller.Status.ToString()
                $scmDisplayName[$controller.ServiceName] = $controller.DisplayName
            }
        }
        catch {
            Add-SourceError -Source 'services' -Message "Service Control Manager: $($_.Exception.Message)"
        }

        $startNames = @('boot', 'system', 'auto', 'manual', 'disabled')

        # The Services keys also show services and drivers that are registered but not loaded,
        # and leftovers of a removal that the SCM no longer knows.
        $servicesKey = $null
        try {
            $servicesKey = $hklm.OpenSubKey('SYSTEM\CurrentControlSet\Services', $false)
            foreach ($name in $servicesKey.GetSubKeyNames()) {
                $matchesService = Test-WildcardList -Value $name -Pattern $serviceWildcards
                $matchesDriver = Test-WildcardList -Value $name -Pattern $driverWildcards
                if (-not ($matchesService -or $matchesDriver)) {
                    continue
                }
                $serviceKey = $null
                try {
                    $serviceKey = $servicesKey.OpenSubKey($name, $false)
                    if ($null -eq $serviceKey) {
                        continue
                    }

                    # Type: 0x1 kernel driver, 0x2 file system driver, 0x8 recognizer driver
                    # (SERVICE_DRIVER = 0xB); 0x10 and up are Win32 services. A key without a Type
                    # is not something the SCM loads (a stub or parameters-only key): skipped, as
                    # the offline image reader does. A name is kept only when it matched the probe
                    # list of its kind (a driver named like a service pattern is not wanted).
                    $type = Get-RegistryInteger -Key $serviceKey -Name 'Type'
                    if ($null -eq $type) {
                        continue
                    }
                    $kind = if ($type -band 0xB) { 'driver' } else { 'service' }
                    $wanted = if ($kind -eq 'driver') { $matchesDriver } else { $matchesService }
                    if (-not $wanted) {
                        continue
                    }

                    # Start: 0 boot, 1 system, 2 auto (delayed auto included), 3 manual, 4 disabled
                    $start = $null
                    $startValue = Get-RegistryInteger -Key $serviceKey -Name 'Start'
                    if ($null -ne $startValue -and $startValue -ge 0 -and $startValue -le 4) {
                        $start = $startNames[[int]$startValue]
                    }

                    # Any state other than Stopped (pending, paused) means the image is loaded.
                    $state = $null
                    if ($scmState.ContainsKey($name)) {
                        $state = if ($scmState[$name] -eq 'Stopped') { 'stopped' } else { 'running' }
                    }

                    $displayName = $scmDisplayName[$name]
                    if (-not $displayName) {
                        $displayName = Get-RegistryString -Key $serviceKey -Name 'DisplayName' -DoNotExpand
                    }

                    $services.Add([Ordered]@{
                            name = $name
                            display_name = $displayName
                            image_path = Get-RegistryString -Key $serviceKey -Name 'ImagePath' -DoNotExpand
                            start = $start
                            kind = $kind
                            state = $state
                        })
                }
                catch {
                    Add-SourceError -Source 'services' -Message "HKLM\SYSTEM\CurrentControlSet\Services\${name}: $($_.Exception.Message)"
                }
                finally {
                    if ($null -ne $serviceKey) {
                        $serviceKey.Dispose()
                    }
                }
            }
        }
        catch {
            Add-SourceError -Source 'services' -Message "HKLM\SYSTEM\CurrentControlSet\Services: $($_.Exception.Message)"
        }
        finally {
            if ($null -ne $servicesKey) {
                $servicesKey.Dispose()
            }
        }
    }

    # ------------------------------------------------------------------------------ processes
    if ($processWildcards.Count -eq 0) {
        Add-SkippedSource -Source 'processes' -Reason 'the probe has no processes pattern'
    }
    else {
        try {
            foreach ($process in @(Get-Process -ErrorAction SilentlyContinue)) {
                # ProcessName has no extension; the catalogue names Windows images with '.exe'.
                $imageName = '{0}.exe' -f $process.ProcessName
                $wanted = Test-WildcardList -Value $imageName -Pattern $processWildcards
                if (-not $wanted) {
                    $wanted = Test-WildcardList -Value $process.ProcessName -Pattern $processWildcards
                }
                if (-not $wanted) {
                    continue
                }
                # Protected (PPL) anti-virus processes refuse the query: exe is then null.
                $exe = $null
                try {
                    $exe = $process.Path
                }
                catch {
                    $exe = $null
                }
                $processes.Add([Ordered]@{
                        name = $imageName
                        pid = $process.Id
                        exe = $exe
                    })
            }
        }
        catch {
            Add-SourceError -Source 'processes' -Message "Get-Process: $($_.Exception.Message)"
        }
    }

    # ---------------------------------------------------------------------------------- paths
    $seenPaths = [System.Collections.Generic.HashSet[String]]::new([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($pattern in $fileSystemPatterns) {
        $expanded = [Environment]::ExpandEnvironmentVariables($pattern)
        # The catalogue is shared with Linux and macOS: only drive-letter paths are for this host.
        if ($expanded -notmatch '^[A-Za-z]:\\') {
            continue
        }
        $lookup = $expanded
        if ($fileSystemRedirected -and $lookup.StartsWith("$system32\", [System.StringComparison]::OrdinalIgnoreCase)) {
            $lookup = $sysnative + $lookup.Substring($system32.Length)
        }
        try {
            $items = @()
            if ([System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($lookup)) {
                $itemErrors = $null
                $items = @(Get-Item -Path $lookup -Force -ErrorAction SilentlyContinue -ErrorVariable itemErrors)
                foreach ($itemError in @($itemErrors)) {
                    if ($itemError.CategoryInfo.Category -ne [System.Management.Automation.ErrorCategory]::ObjectNotFound) {
                        Add-SourceError -Source 'paths' -Message "${pattern}: $($itemError.Exception.Message)"
                    }
                }
            }
            elseif (Test-Path -LiteralPath $lookup) {
                $items = @(Get-Item -LiteralPath $lookup -Force)
            }

            foreach ($item in $items) {
                $fullName = $item.FullName
                if ($fileSystemRedirected -and $fullName.StartsWith("$sysnative\", [System.StringComparison]::OrdinalIgnoreCase)) {
                    $fullName = $system32 + $fullName.Substring($sysnative.Length)
                }
                if (-not $seenPaths.Add($fullName)) {
                    continue
                }
                $type = 'file'
                if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
                    $type = 'link'
                }
                elseif ($item.PSIsContainer) {
                    $type = 'dir'
                }
                $paths.Add([Ordered]@{ path = $fullName; type = $type })
            }
        }
        catch {
            Add-SourceError -Source 'paths' -Message "${pattern}: $($_.Exception.Message)"
        }
    }

    # ------------------------------------------------------------------------------- registry
    $seenKeys = [System.Collections.Generic.HashSet[String]]::new([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($pattern in $registryPatterns) {
        try {
            $keyPaths = Resolve-RegistryPattern -Pattern $pattern
            foreach ($keyPath in $keyPaths) {
                if (-not $seenKeys.Add($keyPath)) {
                    continue
                }
                $hiveName, $subPath = $keyPath.Split([char[]]@('\'), 2)
                $key = $null
                try {
                    $key = $registryRoots[$hiveName].OpenSubKey($subPath, $false)
                    if ($null -eq $key) {
                        continue
                    }
                    $registry.Add([Ordered]@{
                            key = $keyPath
                            values = Get-RegistryKeyValue -Key $key -Path $keyPath
                        })
                }
                catch {
                    Add-SourceError -Source 'registry' -Message "${keyPath}: $($_.Exception.Message)"
                }
                finally {
                    if ($null -ne $key) {
                        $key.Dispose()
                    }
                }
            }
        }
        catch {
            Add-SourceError -Source 'registry' -Message "${pattern}: $($_.Exception.Message)"
        }
    }

    # ------------------------------------------------------------------------ security center
    # Windows Security Center (root\SecurityCenter2) only exists on client SKUs.
    if ($os.installation_type -eq 'Server') {
        Add-SkippedSource -Source 'security_center' -Reason 'not available on Windows Server'
    }
    elseif ($securityCenterRegex.Count -eq 0) {
        Add-SkippedSource -Source 'security_center' -Reason 'the probe has no security_center pattern'
    }
    else {
        try {
            $products = @(Get-CimInstance -Namespace 'root/SecurityCenter2' -ClassName 'AntiVirusProduct' -ErrorAction Stop)
            foreach ($product in $products) {
                $displayName = Get-CimPropertyValue -InputObject $product -Name 'displayName'
                if (-not (Test-RegexList -Value $displayName -Regex $securityCenterRegex)) {
                    continue
                }
                $productState = Get-CimPropertyValue -InputObject $product -Name 'productState'
                if ($null -ne $productState) {
                    $productState = [Int64]$productState
                }
                $securityCenter.Add([Ordered]@{
                        display_name = $displayName
                        # companyName only exists in the old root\SecurityCenter class: null here.
                        company = Get-CimPropertyValue -InputObject $product -Name 'companyName'
                        product_state = $productState
                        path = Get-CimPropertyValue -InputObject $product -Name 'pathToSignedProductExe'
                    })
            }
        }
        catch {
            Add-SourceError -Source 'security_center' -Message "root\SecurityCenter2 AntiVirusProduct: $($_.Exception.Message)"
        }
    }

    # ------------------------------------------------------------------------------- defender
    if ($null -eq (Get-Command -Name 'Get-MpComputerStatus' -ErrorAction SilentlyContinue)) {
        $reason = 'Get-MpComputerStatus is not available: the Windows Defender feature or its PowerShell module is not installed'
        Add-SkippedSource -Source 'defender' -Reason $reason
    }
    else {
        try {
            $status = Get-MpComputerStatus -ErrorAction Stop
            $defender = [Ordered]@{
                am_running_mode = Get-CimPropertyValue -InputObject $status -Name 'AMRunningMode'
                antivirus_enabled = ConvertTo-NullableBool -Value (Get-CimPropertyValue -InputObject $status -Name 'AntivirusEnabled')
                real_time_protection_enabled = ConvertTo-NullableBool -Value (Get-CimPropertyValue -InputObject $status -Name 'RealTimeProtectionEnabled')
                am_product_version = Get-CimPropertyValue -InputObject $status -Name 'AMProductVersion'
                antivirus_signature_version = Get-CimPropertyValue -InputObject $status -Name 'AntivirusSignatureVersion'
                antivirus_signature_last_updated = ConvertTo-UtcString -Value (Get-CimPropertyValue -InputObject $status -Name 'AntivirusSignatureLastUpdated')
            }
        }
        catch {
            $defender = $null
            # 0x800106BA: the Defender service is not running (disabled, or replaced by a third-party
            # product): a state of the host, not a failure of this collector.
            if ($_.Exception.Message -match '0x800106ba') {
                Add-SkippedSource -Source 'defender' -Reason "the Microsoft Defender Antivirus service is not running: $($_.Exception.Message)"
            }
            else {
                Add-SourceError -Source 'defender' -Message "Get-MpComputerStatus: $($_.Exception.Message)"
            }
        }
    }
}
finally {
    $hklm.Dispose()
    $hku.Dispose()
}

$module.Result.inventory = [Ordered]@{
    schema = 1
    platform = 'windows'
    root = '{0}\' -f $env:SystemDrive
    live = $true
    os = $os
    commands = @()
    packages = @()
    uninstall = $uninstall
    services = $services
    units = @()
    paths = $paths
    groups = @()
    processes = $processes
    kernel_modules = @()
    registry = $registry
    receipts = @()
    bundles = @()
    launchd = @()
    security_center = $securityCenter
    defender = $defender
    skipped = $skipped
    errors = $errors
}

$module.ExitJson()
