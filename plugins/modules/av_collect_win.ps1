#!powershell

# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# Raw-data collector of fleetsec.banned_av for live Windows hosts, run by the av_facts action.
# It runs the request the controller built (plugins/module_utils/windows_request.py) and returns
# what it read, raw, under 'dump'; the controller turns that into the raw inventory with the code
# that reads offline images (plugins/module_utils/windows_live.py). It interprets nothing, holds
# no product name, runs no regular expression of the catalogue and changes nothing. Win32_Product
# is never queried (enumerating it makes Windows Installer check every product).
# Each operation (a "step") runs in a runspace of its own with a deadline, all within limits.total: a
# failure or a timeout is recorded in dump.steps and the other steps still run. docs/windows-images.md
# ("Windows collector") lists, group by group, what of this file only a Windows host can confirm.

$spec = @{
    options = @{
        request = @{ type = 'dict'; required = $true }
    }
    supports_check_mode = $true
    # Ansible.Basic writes "Invoked with: <arguments>" (and warnings) to the Application event
    # log unless the module is no_log: this module only reads, so it writes nothing there.
    no_log = $true
}
$budget = [System.Diagnostics.Stopwatch]::StartNew()  # the collector's clock (limits.total)
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$request = $module.Params.request
$limits = $request.limits

# Helpers of every step (a step's runspace does not see this script's functions).
$helpers = {
    $ErrorActionPreference = 'Stop'

    Function Get-ErrorData {
        # message, exception type, HRESULT and CIM status of an error: data, not text to parse
        param ([Object]$ErrorObject)
        $exception = $ErrorObject
        if ($ErrorObject -is [System.Management.Automation.ErrorRecord]) {
            $exception = $ErrorObject.Exception
        }
        # "Exception calling EndInvoke" and "stopped because ErrorActionPreference is Stop" wrap the real error
        for ($depth = 0; $depth -lt 4; $depth++) {
            if ($exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $exception.InnerException) {
                $exception = $exception.InnerException
            }
            elseif ($exception -is [System.Management.Automation.RuntimeException] -and $null -ne $exception.ErrorRecord.Exception -and
                -not [Object]::ReferenceEquals($exception.ErrorRecord.Exception, $exception)) {
                $exception = $exception.ErrorRecord.Exception
            }
        }
        $data = @{ m = $exception.Message; x = $exception.GetType().FullName; h = '0x{0:X8}' -f $exception.HResult }
        if ($exception.GetType().FullName -eq 'Microsoft.Management.Infrastructure.CimException') {
            $data.c = $exception.NativeErrorCode.ToString()
        }
        return $data
    }
}
. $helpers

$dump = [Ordered]@{
    schema = 1
    host = @{ os64 = [Environment]::Is64BitOperatingSystem; ps64 = [Environment]::Is64BitProcess; env = @{} }
    steps = [Ordered]@{}
}

Function Invoke-Step {
    # Runs $Body with $Req (its part of the request), $Lim (the limits), $Sec (its seconds: $Seconds or, if less, those left of
    # limits.total, then recorded as "total"; none left: not run, a timeout of 0) in a runspace. Returns its last output or $null.
    param ([String]$Name, [ScriptBlock]$Body, [Object]$Arguments, [Int32]$Seconds)
    $record = [Ordered]@{ ms = 0 }
    $dump.steps[$Name] = $record
    $left = [Math]::Floor([Double]($limits.total * 1000 - $budget.ElapsedMilliseconds) / 1000)
    if ($left -lt $Seconds) { $Seconds = [Math]::Max(0, $left); $record.total = $limits.total }
    if ($Seconds -lt 1) { $record.timeout = 0; return , $null }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $data = $null
    $shell = [PowerShell]::Create()
    try {
        $script = "param(`$Req, `$Lim, `$Sec)`n{0}`n{1}" -f $helpers.ToString(), $Body.ToString()
        $null = $shell.AddScript($script).AddArgument($Arguments).AddArgument($limits).AddArgument($Seconds)
        $async = $shell.BeginInvoke()
        if ($async.AsyncWaitHandle.WaitOne($Seconds * 1000)) {
            $output = $shell.EndInvoke($async)
            if ($output.Count -gt 0) { $data = $output[$output.Count - 1].BaseObject }
            $shell.Dispose()
        }
        else {
            $record.timeout = $Seconds
            $null = $shell.BeginStop($null, $null)
        }
    }
    catch { $record.error = Get-ErrorData -ErrorObject $_ }
    $record.ms = $clock.ElapsedMilliseconds
    return , $data
}

# Registry walks: literal segments, listings (subkeys, kept by -like if given), values read raw
# with caps, and a keep filter (a -like on the key name, or a text a value contains). Listings
# report only the names that lead to a kept key: nothing the request did not ask for leaves.
$registryStep = {
    $hives = @{ HKLM = [Microsoft.Win32.RegistryHive]::LocalMachine; HKU = [Microsoft.Win32.RegistryHive]::Users }
    $out = @{ found = @{}; lists = [Collections.Generic.List[Object]]@(); errors = [Collections.Generic.List[Object]]@() }
    $out.scm = [Collections.Generic.List[String]]@()
    $cache = @{}

    Function Open-Key([String]$Path) {
        # the key HKLM\... or HKU\... (64-bit view, read-only), $null when it does not exist
        $root, $sub = $Path.Split([char[]]@('\'), 2)
        $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($hives[$root], [Microsoft.Win32.RegistryView]::Registry64)
        if ($null -eq $sub) { return $base }
        try { return $base.OpenSubKey($sub, $false) } finally { $base.Dispose() }
    }

    Function Get-Listing([String]$Parent, $Segment) {
        $cacheKey = '{0}|{1}' -f $Parent, $Segment.list
        if (-not $cache.ContainsKey($cacheKey)) {
            $names = [Collections.Generic.List[String]]@()
            $capped = $false
            $likes = @($Segment.like)
            $key = Open-Key $Parent
            if ($null -ne $key) {
                try {
                    foreach ($name in $key.GetSubKeyNames()) {
                        if ($likes.Count -eq 0) { $names.Add($name); continue }
                        if (-not ($likes | Where-Object { $name -like $_ })) { continue }
                        if ($names.Count -ge $Lim.list) { $capped = $true; break }
                        $names.Add($name)
                    }
                }
                finally { $key.Dispose() }
            }
            $cache[$cacheKey] = @{ n = $names; c = $capped }
        }
        return $cache[$cacheKey]
    }

    Function Read-Value($Key, [String]$Name) {
        # kind (RegistryValueKind), data as stored (nothing expanded), original size when cut
        $data = $Key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        $value = @{ t = $Key.GetValueKind($Name).ToString() }
        if ($data -is [String] -and $data.Length -gt $Lim.text) {
            $value.n = $data.Length
            $data = $data.Substring(0, $Lim.text)
        }
        elseif ($data -is [String[]]) {
            if ($data.Length -gt $Lim.strings -or ($data | Where-Object { $_.Length -gt $Lim.text })) { $value.n = $data.Length }
            $data = [String[]]@($data | Select-Object -First $Lim.strings | ForEach-Object { $_.Substring(0, [Math]::Min($_.Length, $Lim.text)) })
        }
        elseif ($data -is [Byte[]]) {
            $value.n = $data.Length
            $data = if ($data.Length -le $Lim.binary) { [BitConverter]::ToString($data).Replace('-', '') } else { $null }
        }
        $value.d = $data
        return $value
    }

    Function Read-Values($Key, $Wanted) {
        # '*': every value (at most $Lim.values, in the key's order); else the named ones
        $names = @($Key.GetValueNames())
        $picked = if ($Wanted -is [String]) { @($names | Select-Object -First $Lim.values) } else { @($names | Where-Object { $Wanted -contains $_ }) }
        $values = @{}
        foreach ($name in $picked) { $values[$name] = Read-Value $Key $name }
        return @{ v = $values; m = $names.Count }
    }

    Function Test-Keep($Keep, $Key, [String]$Leaf) {
        if ($null -eq $Keep) { return $true }
        foreach ($like in @($Keep.names)) { if ($Leaf -like $like) { return $true } }
        if ($null -eq $Keep.text) { return $false }
        foreach ($entry in $Keep.text.GetEnumerator()) {
            $data = $Key.GetValue([String]$entry.Key, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            if ($null -eq $data -or $data -is [Byte[]]) { continue }
            $text = [String]::Join(' ', [String[]]@($data))
            foreach ($needle in @($entry.Value)) {
                if ($text.IndexOf([String]$needle, [StringComparison]::OrdinalIgnoreCase) -ge 0) { return $true }
            }
        }
        return $false
    }

    for ($w = 0; $w -lt $Req.Count; $w++) {
        $walk = $Req[$w]
        $segments = @($walk.path)
        $current = @([String]$segments[0])
        $listings = [Collections.Generic.List[Object]]@()
        for ($i = 1; $i -lt $segments.Count; $i++) {
            $segment = $segments[$i]
            $next = [Collections.Generic.List[String]]@()
            foreach ($parent in $current) {
                try {
                    if ($segment -is [String]) {
                        $key = Open-Key "$parent\$segment"
                        if ($null -ne $key) { $key.Dispose(); $next.Add("$parent\$segment") }
                    }
                    else {
                        $listing = Get-Listing $parent $segment
                        $listings.Add(@{ k = $parent; f = $segment.list; c = $listing.c; n = [Collections.Generic.List[String]]@() })
                        foreach ($name in $listing.n) { $next.Add("$parent\$name") }
                    }
                }
                catch { $out.errors.Add(@{ w = $w; k = $parent; e = Get-ErrorData $_ }) }
            }
            $current = $next
        }
        $kept = [Collections.Generic.List[String]]@()
        foreach ($path in $current) {
            $key = $null
            try {
                $key = Open-Key $path
                $leaf = $path.Substring($path.LastIndexOf('\') + 1)
                if ($null -eq $key -or -not (Test-Keep $walk.keep $key $leaf)) { continue }
                if ($kept.Count -ge $Lim.keys) { $out.errors.Add(@{ w = $w; k = $path; c = $Lim.keys }); break }
                $record = if ($null -ne $walk.read) { Read-Values $key $walk.read } else { @{} }
                $kept.Add($path)
                $existing = $out.found[$path]
                if ($null -eq $existing) { $out.found[$path] = $record }
                elseif ($null -ne $record.v) {
                    if ($null -eq $existing.v) { $existing.v = @{}; $existing.m = $record.m }
                    foreach ($entry in @($record.v.GetEnumerator())) { $existing.v[$entry.Key] = $entry.Value }
                }
                if ($walk.scm) { $out.scm.Add($leaf) }
            }
            catch { $out.errors.Add(@{ w = $w; k = $path; e = Get-ErrorData $_ }) }
            finally { if ($null -ne $key) { $key.Dispose() } }
        }
        foreach ($listing in $listings) {
            $prefix = $listing.k + '\'
            foreach ($path in $kept) {
                if ($path.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase)) {
                    $name = $path.Substring($prefix.Length).Split([char[]]@('\'))[0]
                    if (-not $listing.n.Contains($name)) { $listing.n.Add($name) }
                }
            }
            $out.lists.Add($listing)
        }
    }
    $out
}

# Service Control Manager: status and display name of the services the registry step kept.
$scmStep = {
    if (-not ('System.ServiceProcess.ServiceController' -as [Type])) { Add-Type -AssemblyName System.ServiceProcess }
    $out = @{}
    $controllers = @([System.ServiceProcess.ServiceController]::GetServices()) + @([System.ServiceProcess.ServiceController]::GetDevices())
    foreach ($controller in $controllers) {
        if ($Req -contains $controller.ServiceName) {
            try { $out[$controller.ServiceName] = @{ s = $controller.Status.ToString(); d = $controller.DisplayName } }
            catch { $out[$controller.ServiceName] = @{ e = Get-ErrorData $_ } }
        }
    }
    $out
}

# Paths: environment variables expanded here, wildcards expanded by Get-Item. A 32-bit
# PowerShell on 64-bit Windows sees SysWOW64 as System32 and Program Files (x86) as
# %ProgramFiles%: System32 is read through Sysnative, %ProgramFiles% as %ProgramW6432%.
$pathsStep = {
    $out = @{ found = [Collections.Generic.List[Object]]@(); errors = [Collections.Generic.List[Object]]@() }
    $redirected = [Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess
    $system32 = Join-Path -Path $env:SystemRoot -ChildPath 'System32'
    $sysnative = Join-Path -Path $env:SystemRoot -ChildPath 'Sysnative'
    for ($i = 0; $i -lt $Req.Count; $i++) {
        $pattern = [String]$Req[$i]
        if ($env:ProgramW6432) {
            $pattern = $pattern.Replace('%ProgramFiles%', '%ProgramW6432%').Replace('%CommonProgramFiles%', '%CommonProgramW6432%')
        }
        $lookup = [Environment]::ExpandEnvironmentVariables($pattern)
        if ($lookup -notmatch '^[A-Za-z]:\\') {
            $out.errors.Add(@{ i = $i; e = @{ m = "not an absolute path on this host: $lookup" } })
            continue
        }
        if ($redirected -and $lookup.StartsWith("$system32\", [StringComparison]::OrdinalIgnoreCase)) {
            $lookup = $sysnative + $lookup.Substring($system32.Length)
        }
        try {
            $problems = $null
            $items = @(Get-Item -Path $lookup -Force -ErrorAction SilentlyContinue -ErrorVariable problems)
            foreach ($problem in @($problems)) {
                if ($problem.CategoryInfo.Category -ne [System.Management.Automation.ErrorCategory]::ObjectNotFound) {
                    $out.errors.Add(@{ i = $i; e = Get-ErrorData $problem })
                }
            }
            if ($items.Count -gt $Lim.list) { $out.errors.Add(@{ i = $i; c = $items.Count }); $items = $items[0..($Lim.list - 1)] }
            foreach ($item in $items) {
                $full = $item.FullName
                if ($redirected -and $full.StartsWith("$sysnative\", [StringComparison]::OrdinalIgnoreCase)) {
                    $full = $system32 + $full.Substring($sysnative.Length)
                }
                $out.found.Add(@{ i = $i; p = $full; a = [Int32]$item.Attributes })
            }
        }
        catch { $out.errors.Add(@{ i = $i; e = Get-ErrorData $_ }) }
    }
    $out
}

# One CIM class: the requested properties of each instance (DateTime as UTC ISO 8601), the
# instances kept by a -like on one property, under -OperationTimeoutSec (at most the step's time).
$cimStep = {
    $query = @{ Namespace = $Req['namespace']; ClassName = $Req['class']; OperationTimeoutSec = [Math]::Min([Int32]$Lim.cim, $Sec); ErrorAction = 'Stop' }
    if ($Req['select']) { $query.Property = [String[]]@($Req['properties']) }
    $items = [Collections.Generic.List[Object]]@()
    foreach ($instance in @(Get-CimInstance @query)) {
        $properties = $instance.CimInstanceProperties
        $wanted = $true
        if ($null -ne $Req['filter']) {
            foreach ($entry in $Req['filter'].GetEnumerator()) {
                $text = [String]$properties[[String]$entry.Key].Value
                $wanted = $wanted -and [bool](@($entry.Value) | Where-Object { $text -like $_ })
            }
        }
        if (-not $wanted) { continue }
        $item = @{}
        foreach ($name in @($Req['properties'])) {
            $property = $properties[[String]$name]
            if ($null -eq $property) { continue }
            $value = $property.Value
            if ($value -is [DateTime]) { $value = $value.ToUniversalTime().ToString('o', [Globalization.CultureInfo]::InvariantCulture) }
            $item[[String]$name] = $value
        }
        $items.Add($item)
    }
    @{ items = $items }
}

foreach ($name in @($request.env)) {
    $value = [Environment]::GetEnvironmentVariable([String]$name)
    if ($env:ProgramW6432 -and $name -in @('ProgramFiles', 'CommonProgramFiles')) {
        $value = [Environment]::GetEnvironmentVariable(([String]$name).Replace('Files', 'W6432'))
    }
    $dump.host.env[[String]$name] = $value
}
if (@($request.registry).Count -gt 0) {
    $dump.registry = Invoke-Step -Name 'registry' -Body $registryStep -Arguments @($request.registry) -Seconds $limits.seconds
    if ($null -ne $dump.registry -and $dump.registry.scm.Count -gt 0) {
        $dump.scm = Invoke-Step -Name 'scm' -Body $scmStep -Arguments @($dump.registry.scm) -Seconds $limits.seconds
    }
}
if (@($request.paths).Count -gt 0) {
    $dump.paths = Invoke-Step -Name 'paths' -Body $pathsStep -Arguments @($request.paths) -Seconds $limits.seconds
}
$dump.cim = @{}
foreach ($query in @($request.cim)) {
    $dump.cim[[String]$query.id] = Invoke-Step -Name "cim:$($query.id)" -Body $cimStep -Arguments $query -Seconds ($limits.cim + 10)
}

$module.Result.dump = $dump
$module.ExitJson()
