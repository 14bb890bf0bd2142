-- Argo CD health of a kelos.dev Task. Runs without Lua's standard libraries (Argo CD's
-- default): only base functions such as ipairs and tostring.
local hs = {}
local status = obj.status
if status == nil or status.phase == nil or status.phase == "" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to admit the Task"
  return hs
end
local phase = status.phase
if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = status.message or "Task succeeded"
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = status.message or "Task failed"
elseif phase == "Waiting" then
  -- Waiting is deliberate (a gate holds the Task), not broken: Suspended, naming the gate.
  hs.status = "Suspended"
  hs.message = status.message or "Waiting"
  if status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      local blocking = (c.type == "BudgetBlocked" and c.status == "True")
        or (c.type == "BranchLocked" and c.status == "True")
        or (c.type == "DependenciesReady" and c.status == "False")
        or (c.type == "ReferencesResolved" and c.status == "False")
      if blocking then
        hs.message = c.type .. ": " .. (c.message or c.reason or "")
        break
      end
    end
  end
elseif phase == "Pending" or phase == "Running" then
  hs.status = "Progressing"
  hs.message = status.message or ("Task is " .. phase)
else
  hs.status = "Unknown"
  hs.message = "Unknown Task phase " .. tostring(phase)
end
return hs
