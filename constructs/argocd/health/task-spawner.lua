-- Argo CD health of a kelos.dev TaskSpawner. Base library only (Argo CD's default).
local hs = {}
local function condition(t)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == t and c.status == "True" then return c end
  end
  return nil
end
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended by spec.suspend"
  return hs
end
local status = obj.status
if status == nil or status.phase == nil or status.phase == "" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to start the spawner"
  return hs
end
local generation = obj.metadata ~= nil and obj.metadata.generation or nil
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end
local discovery = condition("DiscoveryError")
if status.phase ~= "Failed" and discovery ~= nil and discovery.reason == "RateLimited" then
  -- The source throttles and the operator waits it out: routine, and it recovers on its own.
  hs.status = "Healthy"
  hs.message = "Rate limited: " .. tostring(discovery.message or "")
  return hs
end
if status.phase == "Failed" or discovery ~= nil then
  hs.status = "Degraded"
  hs.message = (discovery ~= nil and discovery.message) or status.message or "TaskSpawner failed"
  return hs
end
if status.phase == "Suspended" or condition("Suspended") ~= nil then
  hs.status = "Suspended"
  hs.message = status.message or "TaskSpawner is suspended"
  return hs
end
local reached = condition("MaxTotalTasksReached")
if reached ~= nil then
  -- The lifetime cap is reached: the spawner works as configured and creates no more Tasks.
  hs.status = "Healthy"
  hs.message = reached.message or "maxTotalTasks reached; no more Tasks are created"
  return hs
end
if status.phase == "Running" then
  hs.status = "Healthy"
  hs.message = status.message or ("Running; " .. tostring(status.activeTasks or 0) .. " active Tasks")
elseif status.phase == "Pending" then
  hs.status = "Progressing"
  hs.message = status.message or "TaskSpawner is pending"
else
  hs.status = "Unknown"
  hs.message = "Unknown TaskSpawner phase " .. tostring(status.phase)
end
return hs
