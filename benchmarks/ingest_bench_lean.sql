-- $rows lean Azure Monitor storage sign-in lines (the envelope and the properties ingest reads,
-- ~0.8 kB a line) over one day: the memory test's input, where the number of events counts.
COPY (
    SELECT
        strftime(t, '%Y-%m-%dT%H:%M:%S.%fZ') AS "time",
        '/tenants/4d3bac44-0230-4732-9e70-cc00736f0a97/providers/Microsoft.aadiam' AS resourceId,
        'Sign-in activity' AS operationName,
        'SignInLogs' AS category,
        '4d3bac44-0230-4732-9e70-cc00736f0a97' AS tenantId,
        CASE WHEN i % 10 < 7 THEN '0' ELSE '50126' END AS resultType,
        ip AS callerIpAddress,
        4 AS "Level",
        {
            'id': printf('%08x-08a4-4a74-b42b-%012x', i, (i * 2654435761) % 281474976710656),
            'createdDateTime': strftime(t, '%Y-%m-%dT%H:%M:%S.%f+00:00'),
            'userDisplayName': printf('User %d', i % 5000),
            'userPrincipalName': printf('user%d@contoso.com', i % 5000),
            'userId': printf('%08x-9c68-4843-856f-3feb9e9867af', i % 5000),
            'appId': 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
            'appDisplayName': 'Azure Portal',
            'ipAddress': ip,
            'status': {'errorCode': CASE WHEN i % 10 < 7 THEN 0 ELSE 50126 END},
            'clientAppUsed': 'Browser',
            'userAgent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/135.0.0.0',
            'location': {'city': 'Westfield', 'state': 'New Jersey', 'countryOrRegion': 'US'},
            'correlationId': printf('%08x-77cc-4f71-b1e2-155b84594b0b', i),
            'conditionalAccessStatus': 'notApplied',
            'isInteractive': true,
            'riskState': 'none',
            'resourceDisplayName': 'Azure Resource Manager',
            'resourceId': '797f4846-ba00-4fd7-ba43-dac1f8f63013',
            'uniqueTokenIdentifier': printf('tok%012d', i)
        } AS properties
    FROM (
        SELECT
            i,
            TIMESTAMP '2025-04-05' + to_microseconds((i * 7919) % 86400000000) AS t,
            printf('10.%d.%d.%d', i % 251, i % 241, i % 239) AS ip
        FROM range($rows) AS r(i)
    )
) TO $path (FORMAT json)
