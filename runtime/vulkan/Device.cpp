//===- Device.cpp - the Vulkan instance, device and queue -----------------===//

#include "runtime/vulkan/Device.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

using namespace attnc::vk;

namespace {

const char *kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

const char *typeName(VkPhysicalDeviceType type) {
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return "discrete GPU";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return "integrated GPU";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return "virtual GPU";
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return "cpu device";
  default:
    return "other device";
  }
}

/// Higher is preferred when no device is named.
int rank(VkPhysicalDeviceType type) {
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return 4;
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return 3;
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return 2;
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return 1;
  default:
    return 0;
  }
}

bool envFlag(const char *name, bool &value) {
  const char *text = std::getenv(name);
  if (!text || !*text)
    return false;
  value = std::strcmp(text, "0") != 0;
  return true;
}

/// Fills the feature structs chained from `chain`.
void queryFeatures(VkPhysicalDevice physical, void *chain) {
  VkPhysicalDeviceFeatures2 features = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = chain;
  vkGetPhysicalDeviceFeatures2(physical, &features);
}

/// The first compute-capable queue family, or -1.
int computeFamily(VkPhysicalDevice device) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families.data());
  for (uint32_t i = 0; i < count; ++i)
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      return i;
  return -1;
}

} // namespace

std::unique_ptr<Device> Device::create(const DeviceOptions &options,
                                       Status &status) {
  std::unique_ptr<Device> device(new Device());
  status = device->init(options);
  if (!status.ok())
    return nullptr;
  return device;
}

Status Device::init(const DeviceOptions &options) {
  bool validation = options.validation;
  bool fromEnv = false;
  if (envFlag("ATTNC_VK_VALIDATION", fromEnv) && fromEnv)
    validation = true;
  if (Status s = createInstance(validation); !s.ok())
    return s;
  std::string selector = options.selector;
  if (selector.empty())
    if (const char *env = std::getenv("ATTNC_VK_DEVICE"))
      selector = env;
  if (Status s = pickPhysicalDevice(selector); !s.ok())
    return s;
  return createLogicalDevice();
}

Status Device::createInstance(bool validation) {
  uint32_t loaderVersion = VK_API_VERSION_1_0;
  if (auto enumerate = reinterpret_cast<PFN_vkEnumerateInstanceVersion>(
          vkGetInstanceProcAddr(nullptr, "vkEnumerateInstanceVersion")))
    enumerate(&loaderVersion);
  if (loaderVersion < VK_API_VERSION_1_1)
    return Status(ATTNC_ERROR_DEVICE,
                  "Vulkan: the loader supports only Vulkan 1.0; attnc needs "
                  "1.1 or newer");
  apiVersion = std::min<uint32_t>(loaderVersion, VK_API_VERSION_1_3);

  std::vector<const char *> layers, extensions;
  if (validation) {
    uint32_t count = 0;
    if (Status s =
            checkResult(vkEnumerateInstanceLayerProperties(&count, nullptr),
                        "vkEnumerateInstanceLayerProperties");
        !s.ok())
      return s;
    std::vector<VkLayerProperties> available(count);
    if (Status s = checkResult(
            vkEnumerateInstanceLayerProperties(&count, available.data()),
            "vkEnumerateInstanceLayerProperties");
        !s.ok())
      return s;
    bool found = std::any_of(
        available.begin(), available.end(), [](const VkLayerProperties &p) {
          return std::strcmp(p.layerName, kValidationLayer) == 0;
        });
    if (!found)
      return Status(ATTNC_ERROR_DEVICE,
                    "Vulkan validation was requested but the layer "
                    "VK_LAYER_KHRONOS_validation is not installed (Debian: "
                    "vulkan-validationlayers)");
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  }
  VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "attnc model";
  app.pEngineName = "attnc";
  app.apiVersion = apiVersion;
  VkDebugUtilsMessengerCreateInfoEXT messengerInfo = {
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messengerInfo.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messengerInfo.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messengerInfo.pfnUserCallback = &Device::onMessage;
  messengerInfo.pUserData = this;
  VkInstanceCreateInfo info = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  // Messages about instance creation itself reach the chained messenger.
  info.pNext = validation ? &messengerInfo : nullptr;
  info.pApplicationInfo = &app;
  info.enabledLayerCount = layers.size();
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = extensions.size();
  info.ppEnabledExtensionNames = extensions.data();
  VkResult result = vkCreateInstance(&info, nullptr, &instance);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
    return Status(ATTNC_ERROR_DEVICE,
                  "Vulkan: no Vulkan driver is installed (no ICD; on Debian "
                  "mesa-vulkan-drivers provides lavapipe, a CPU device)");
  if (Status s = checkResult(result, "vkCreateInstance"); !s.ok())
    return s;
  if (validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
    if (!create)
      return Status(ATTNC_ERROR_DEVICE,
                    "Vulkan: VK_EXT_debug_utils is missing with validation");
    if (Status s =
            checkResult(create(instance, &messengerInfo, nullptr, &messenger),
                        "vkCreateDebugUtilsMessengerEXT");
        !s.ok())
      return s;
  }
  return Status();
}

Status Device::pickPhysicalDevice(const std::string &selector) {
  uint32_t count = 0;
  if (Status s =
          checkResult(vkEnumeratePhysicalDevices(instance, &count, nullptr),
                      "vkEnumeratePhysicalDevices");
      !s.ok())
    return s;
  std::vector<VkPhysicalDevice> devices(count);
  if (Status s = checkResult(
          vkEnumeratePhysicalDevices(instance, &count, devices.data()),
          "vkEnumeratePhysicalDevices");
      !s.ok())
    return s;
  if (devices.empty())
    return Status(ATTNC_ERROR_DEVICE,
                  "Vulkan: no physical device (install a GPU driver, or "
                  "mesa-vulkan-drivers for lavapipe)");
  std::vector<VkPhysicalDeviceProperties> props(count);
  std::string list;
  for (uint32_t i = 0; i < count; ++i) {
    vkGetPhysicalDeviceProperties(devices[i], &props[i]);
    list += (i ? ", " : "") + std::to_string(i) + ": " + props[i].deviceName;
  }
  auto usable = [&](uint32_t i) {
    return props[i].apiVersion >= VK_API_VERSION_1_1 &&
           computeFamily(devices[i]) >= 0;
  };
  int chosen = -1;
  if (!selector.empty()) {
    bool numeric = std::all_of(selector.begin(), selector.end(),
                               [](unsigned char c) { return std::isdigit(c); });
    for (uint32_t i = 0; i < count && chosen < 0; ++i)
      if (numeric ? std::to_string(i) == selector
                  : lower(props[i].deviceName).find(lower(selector)) !=
                        std::string::npos)
        chosen = i;
    if (chosen < 0)
      return Status(ATTNC_ERROR_DEVICE, "Vulkan: no device matches '" +
                                            selector + "' (devices: " + list +
                                            ")");
    if (!usable(chosen))
      return Status(ATTNC_ERROR_DEVICE,
                    std::string("Vulkan: device '") + props[chosen].deviceName +
                        "' lacks Vulkan 1.1 or a compute queue");
  } else {
    for (uint32_t i = 0; i < count; ++i)
      if (usable(i) && (chosen < 0 || rank(props[i].deviceType) >
                                          rank(props[chosen].deviceType)))
        chosen = i;
    if (chosen < 0)
      return Status(ATTNC_ERROR_DEVICE,
                    "Vulkan: no device with Vulkan 1.1 and a compute queue "
                    "(devices: " +
                        list + ")");
  }
  physical = devices[chosen];
  properties = props[chosen];
  queueFamily = computeFamily(physical);
  vkGetPhysicalDeviceMemoryProperties(physical, &memory);
  return Status();
}

Status Device::createLogicalDevice() {
  // Subgroup support (VkPhysicalDeviceSubgroupProperties, Vulkan 1.1).
  VkPhysicalDeviceSubgroupProperties subgroup = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 props2 = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props2.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(physical, &props2);
  subgroupSize = std::max<uint32_t>(subgroup.subgroupSize, 1);
  const VkSubgroupFeatureFlags needed = VK_SUBGROUP_FEATURE_BASIC_BIT |
                                        VK_SUBGROUP_FEATURE_VOTE_BIT |
                                        VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
  bool supported = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                   (subgroup.supportedOperations & needed) == needed;
  subgroupVariants =
      supported && properties.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU;
  bool forced = false;
  if (envFlag("ATTNC_VK_SUBGROUPS", forced))
    subgroupVariants = forced && supported;

  // Optional features, enabled when present: 16-bit storage (f16 tensors)
  // and f16 arithmetic (shaders that keep f16 values in shared memory).
  VkPhysicalDevice16BitStorageFeatures storage16 = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  VkPhysicalDeviceShaderFloat16Int8Features float16 = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  storage16.pNext = &float16;
  queryFeatures(physical, &storage16);
  halfStorage = storage16.storageBuffer16BitAccess == VK_TRUE;
  halfArithmetic = float16.shaderFloat16 == VK_TRUE;
  bool coopmatUsable = supportsCoopmat(halfStorage && halfArithmetic);
  coopmat = coopmatUsable;
  coopmatEmulated = false;
  if (const char *env = std::getenv("ATTNC_VK_COOPMAT")) {
    if (std::strcmp(env, "0") == 0)
      coopmat = false;
    else if (std::strcmp(env, "emulate") == 0) {
      coopmat = false;
      coopmatEmulated = halfArithmetic;
    }
  }
  // The queried structs enable what the device has of them.
  VkPhysicalDeviceFeatures2 enabled = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  enabled.pNext = &storage16;
  // Cooperative matrices: the extension, its feature and the Vulkan memory
  // model GL_NV_cooperative_matrix shaders declare.
  VkPhysicalDeviceCooperativeMatrixFeaturesNV enableCoopmat = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
  VkPhysicalDeviceVulkanMemoryModelFeatures enableModel = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES};
  std::vector<const char *> extensions;
  if (coopmatUsable) {
    enableCoopmat.cooperativeMatrix = VK_TRUE;
    enableModel.vulkanMemoryModel = VK_TRUE;
    enableCoopmat.pNext = &enableModel;
    float16.pNext = &enableCoopmat;
    extensions.push_back(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);
  }

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queueInfo = {
      VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queueInfo.queueFamilyIndex = queueFamily;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  VkDeviceCreateInfo info = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.pNext = &enabled;
  info.enabledExtensionCount = extensions.size();
  info.ppEnabledExtensionNames = extensions.data();
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queueInfo;
  if (Status s = checkResult(vkCreateDevice(physical, &info, nullptr, &device),
                             "vkCreateDevice");
      !s.ok())
    return s;
  vkGetDeviceQueue(device, queueFamily, 0, &queue);

  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, families.data());
  if (families[queueFamily].timestampValidBits > 0)
    timestampPeriod = properties.limits.timestampPeriod;

  VkPipelineCacheCreateInfo cacheInfo = {
      VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  return checkResult(
      vkCreatePipelineCache(device, &cacheInfo, nullptr, &pipelineCache),
      "vkCreatePipelineCache");
}

Device::~Device() {
  if (device) {
    vkDeviceWaitIdle(device);
    if (pipelineCache)
      vkDestroyPipelineCache(device, pipelineCache, nullptr);
    vkDestroyDevice(device, nullptr);
  }
  if (messenger) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy)
      destroy(instance, messenger, nullptr);
  }
  if (instance)
    vkDestroyInstance(instance, nullptr);
}

std::string Device::describe() const {
  std::string text = std::string(properties.deviceName) + ", " +
                     typeName(properties.deviceType);
  if (subgroupVariants)
    text += ", subgroup kernels (" + std::to_string(subgroupSize) + " lanes)";
  if (coopmat)
    text += ", cooperative matrices (NV, 16x16x16 f16)";
  if (coopmatEmulated)
    text += ", emulated cooperative matrices";
  return text;
}

bool Device::supportsCoopmat(bool halfSupport) const {
  if (!halfSupport || subgroupSize != 32 ||
      properties.apiVersion < VK_API_VERSION_1_2 ||
      apiVersion < VK_API_VERSION_1_2)
    return false;
  uint32_t count = 0;
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> available(count);
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &count,
                                       available.data());
  if (std::none_of(available.begin(), available.end(),
                   [](const VkExtensionProperties &e) {
                     return std::strcmp(
                                e.extensionName,
                                VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME) == 0;
                   }))
    return false;
  VkPhysicalDeviceCooperativeMatrixFeaturesNV coop = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
  VkPhysicalDeviceVulkanMemoryModelFeatures model = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES};
  coop.pNext = &model;
  queryFeatures(physical, &coop);
  if (!coop.cooperativeMatrix || !model.vulkanMemoryModel)
    return false;
  // The shaders multiply 16x16x16 f16 fragments into f32 accumulators.
  auto query =
      reinterpret_cast<PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV>(
          vkGetInstanceProcAddr(
              instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV"));
  if (!query)
    return false;
  uint32_t shapes = 0;
  if (query(physical, &shapes, nullptr) != VK_SUCCESS)
    return false;
  std::vector<VkCooperativeMatrixPropertiesNV> props(
      shapes, {VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV});
  if (query(physical, &shapes, props.data()) != VK_SUCCESS)
    return false;
  return std::any_of(props.begin(), props.end(),
                     [](const VkCooperativeMatrixPropertiesNV &p) {
                       return p.MSize == 16 && p.NSize == 16 && p.KSize == 16 &&
                              p.AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
                              p.BType == VK_COMPONENT_TYPE_FLOAT16_NV &&
                              p.CType == VK_COMPONENT_TYPE_FLOAT32_NV &&
                              p.DType == VK_COMPONENT_TYPE_FLOAT32_NV &&
                              p.scope == VK_SCOPE_SUBGROUP_NV;
                     });
}

bool Device::supportsTexelFormat(VkFormat format) const {
  VkFormatProperties props;
  vkGetPhysicalDeviceFormatProperties(physical, format, &props);
  return props.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT;
}

int Device::findMemoryType(uint32_t typeBits, VkMemoryPropertyFlags required,
                           VkMemoryPropertyFlags preferred) const {
  int fallback = -1;
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags flags = memory.memoryTypes[i].propertyFlags;
    if (!(typeBits & (1u << i)) || (flags & required) != required)
      continue;
    if ((flags & preferred) == preferred)
      return i;
    if (fallback < 0)
      fallback = i;
  }
  return fallback;
}

std::vector<std::string> Device::takeValidationMessages() {
  std::lock_guard<std::mutex> lock(messagesMutex);
  std::vector<std::string> taken;
  taken.swap(messages);
  return taken;
}

VKAPI_ATTR VkBool32 VKAPI_CALL Device::onMessage(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity,
    VkDebugUtilsMessageTypeFlagsEXT,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
  auto *self = static_cast<Device *>(user);
  std::lock_guard<std::mutex> lock(self->messagesMutex);
  self->messages.push_back(
      std::string(severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT
                      ? "error: "
                      : "warning: ") +
      (data && data->pMessage ? data->pMessage : "(no message)"));
  return VK_FALSE;
}
