/*=========================================================================
 *
 *  Copyright the PatchStreaming contributors
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
// Debian's ITK 5.2 install generated its compiler detection for GCC only: its
// itk_compiler_detection.h stops Clang with "Unsupported compiler". The
// fuzzer must be built with Clang, so this header, included before any of ITK's (its include guard then
// keeps ITK's out), gives
// ITK's headers the answers every C++17 compiler has.
#ifndef ITK_COMPILER_DETECTION_H
#define ITK_COMPILER_DETECTION_H

#if !defined(__clang__) || __cplusplus < 201703L
#  error "this stand-in for itk_compiler_detection.h is for Clang in C++17 mode only"
#endif

#define ITK_COMPILER_IS_Clang 1
#define ITK_COMPILER_IS_GNU 0
#define ITK_COMPILER_CXX_STATIC_ASSERT 1
#define ITK_ALIGNAS(X) alignas(X)
#define ITK_ALIGNOF(X) alignof(X)
#define ITK_DEPRECATED [[deprecated]]
#define ITK_DEPRECATED_MSG(MSG) [[deprecated(MSG)]]
#define ITK_CONSTEXPR constexpr
#define ITK_DELETED_FUNCTION = delete
#define ITK_EXTERN_TEMPLATE extern
#define ITK_FINAL final
#define ITK_NOEXCEPT noexcept
#define ITK_NOEXCEPT_EXPR(X) noexcept(X)
#define ITK_NULLPTR nullptr
#define ITK_OVERRIDE override
#define ITK_STATIC_ASSERT(X) static_assert(X, #X)
#define ITK_STATIC_ASSERT_MSG(X, MSG) static_assert(X, MSG)
#define ITK_THREAD_LOCAL thread_local

#endif
